#include "protocol/json_fields.hpp"

namespace weft::protocol {

std::vector<std::string> decode_stop_strings(const nlohmann::json& object, bool one_string) {
  const nlohmann::json* stop = find_field(object, "stop");
  if (!stop) return {};
  if (one_string && stop->is_string() && !stop->get_ref<const std::string&>().empty()) {
    return {stop->get<std::string>()};
  }
  if (!stop->is_array()) {
    throw FieldError{one_string ? "'stop' must be a string or an array of strings"
                                : "'stop' must be an array of strings"};
  }
  std::vector<std::string> strings;
  for (size_t i = 0; i < stop->size(); ++i) {
    const nlohmann::json& entry = (*stop)[i];
    if (!entry.is_string() || entry.get_ref<const std::string&>().empty()) {
      throw FieldError{"stop[" + std::to_string(i) + "] must be a non-empty string"};
    }
    strings.push_back(entry.get<std::string>());
  }
  return strings;
}

}  // namespace weft::protocol
