#include "http/sampling_fields.hpp"

#include <charconv>
#include <limits>

#include "http/api_error.hpp"

namespace weft::http {

void read_sampling_fields(const RequestFields& fields, GenerationOptions& options) {
  if (auto value = fields.number("temperature", 0.0, 100.0)) {
    options.temperature = static_cast<float>(*value);
  }
  if (auto value = fields.number("top_p", 0.0, 1.0)) options.top_p = static_cast<float>(*value);
  if (auto value = fields.integer("top_k", 0, std::numeric_limits<int32_t>::max())) {
    options.top_k = static_cast<uint32_t>(*value);
  }
  if (auto value = fields.number("min_p", 0.0, 1.0)) options.min_p = static_cast<float>(*value);
  if (auto value = fields.integer("seed", std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::max())) {
    options.seed = static_cast<uint64_t>(*value);
  }
  auto stop = fields.strings("stop");
  for (const auto& text : stop) {
    if (text.empty()) throw field_error(fields.qualified("stop"), "must not hold empty strings");
  }
  if (!stop.empty()) options.stop = std::move(stop);
  if (auto value = fields.number("presence_penalty", -2.0, 2.0)) {
    options.presence_penalty = static_cast<float>(*value);
  }
  if (auto value = fields.number("frequency_penalty", -2.0, 2.0)) {
    options.frequency_penalty = static_cast<float>(*value);
  }
  if (auto value = fields.number("repeat_penalty", 0.0, 10.0)) {
    options.repeat_penalty = static_cast<float>(*value);
  }
}

std::vector<std::pair<int32_t, float>> read_logit_bias(const RequestFields& fields) {
  const auto* biases = fields.object("logit_bias");
  std::vector<std::pair<int32_t, float>> out;
  if (!biases) return out;
  const std::string name = fields.qualified("logit_bias");
  for (const auto& [key, value] : biases->items()) {
    int32_t id = -1;
    auto [end, problem] = std::from_chars(key.data(), key.data() + key.size(), id);
    if (problem != std::errc() || end != key.data() + key.size() || id < 0) {
      throw field_error(name, "keys must be token ids, not '" + key + "'");
    }
    if (!value.is_number() || value.get<double>() < -100.0 || value.get<double>() > 100.0) {
      throw field_error(name, "values must be numbers from -100 to 100 (token " + key + ")");
    }
    out.emplace_back(id, value.get<float>());
  }
  return out;
}

}  // namespace weft::http
