#include "support/reference_logits.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "support/shared_files.hpp"

namespace weft::test {

std::vector<float> read_f32_file(const std::filesystem::path& path) {
  const auto bytes = read_file_bytes(path);
  if (bytes.size() % 4 != 0)
    throw std::runtime_error(path.string() + ": size is not a multiple of 4");
  std::vector<float> values(bytes.size() / 4);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits = 0;
    for (int b = 3; b >= 0; --b)
      bits = (bits << 8) | static_cast<uint32_t>(bytes[i * 4 + static_cast<size_t>(b)]);
    values[i] = std::bit_cast<float>(bits);
  }
  return values;
}

std::vector<int32_t> read_token_ids(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::vector<int32_t> ids;
  int64_t id = 0;
  while (in >> id) ids.push_back(static_cast<int32_t>(id));
  return ids;
}

LogitDifference compare_logits(std::span<const float> actual, std::span<const float> expected) {
  LogitDifference difference;
  if (actual.size() != expected.size()) {
    difference.max_abs = INFINITY;
    return difference;
  }
  double sum = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double d = std::fabs(static_cast<double>(actual[i]) - expected[i]);
    if (!(d <= difference.max_abs)) {
      difference.max_abs = std::isnan(d) ? INFINITY : d;
      difference.worst_index = i;
    }
    sum += d;
  }
  difference.mean_abs = actual.empty() ? 0 : sum / static_cast<double>(actual.size());
  return difference;
}

RowAgreement compare_logit_rows(std::span<const float> actual, std::span<const float> expected,
                                size_t width, double close) {
  RowAgreement agreement;
  for (size_t row = 0; row < expected.size() / width; ++row) {
    const auto difference =
        compare_logits(actual.subspan(row * width, width), expected.subspan(row * width, width));
    agreement.close_rows += difference.max_abs <= close;
    agreement.max_abs = std::max(agreement.max_abs, difference.max_abs);
  }
  return agreement;
}

std::filesystem::path FixtureModel::reference(const std::string& kind) const {
  return gguf.parent_path() / "reference" / (name() + "." + kind);
}

std::vector<FixtureModel> fixture_models() {
  std::vector<FixtureModel> models;
  for (const auto& folder : std::filesystem::directory_iterator(shared_path("fixtures"))) {
    if (!folder.is_directory()) continue;
    const std::string arch = folder.path().filename().string();
    for (const auto& entry : std::filesystem::directory_iterator(folder.path())) {
      const std::string file = entry.path().filename().string();
      if (entry.path().extension() != ".gguf" || file.rfind(arch + "-", 0) != 0) continue;
      const std::string variant = file.substr(arch.size() + 1, file.size() - arch.size() - 1 - 5);
      models.push_back({arch, variant, entry.path()});
    }
  }
  std::sort(models.begin(), models.end(),
            [](const auto& a, const auto& b) { return a.name() < b.name(); });
  return models;
}

std::vector<FixtureModel> float32_fixture_models() {
  std::vector<FixtureModel> models;
  for (auto& model : fixture_models()) {
    if (model.is_float32()) models.push_back(model);
  }
  return models;
}

}  // namespace weft::test
