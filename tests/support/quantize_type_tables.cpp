#include "support/quantize_type_tables.hpp"

#include <fstream>
#include <sstream>

namespace weft::test {

std::map<std::pair<std::string, std::string>, QuantizeTypeTable> read_quantize_type_tables(
    const std::filesystem::path& tsv) {
  std::ifstream in(tsv);
  std::string line;
  std::getline(in, line);  // header
  std::map<std::pair<std::string, std::string>, QuantizeTypeTable> tables;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string model, file_type, tensor, type;
    std::getline(fields, model, '\t');
    std::getline(fields, file_type, '\t');
    std::getline(fields, tensor, '\t');
    std::getline(fields, type, '\t');
    tables[{model, file_type}].emplace_back(tensor, type);
  }
  return tables;
}

}  // namespace weft::test
