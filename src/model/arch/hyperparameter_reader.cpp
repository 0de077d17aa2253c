#include "model/arch/hyperparameter_reader.hpp"

#include <cmath>

#include "gguf/gguf_file.hpp"
#include "weft/error.hpp"

namespace weft::model {

int64_t HyperparameterReader::required_count(std::string_view key, int64_t max) const {
  auto value = file_.get_uint(full(key));
  if (!value) throw Error(where() + "missing metadata key '" + full(key) + "'");
  return checked(key, *value, max);
}

int64_t HyperparameterReader::optional_count(std::string_view key, int64_t fallback,
                                             int64_t max) const {
  auto value = file_.get_uint(full(key));
  return value ? checked(key, *value, max) : fallback;
}

double HyperparameterReader::optional_float(std::string_view key, double fallback) const {
  auto value = file_.get_float(full(key));
  if (value && !std::isfinite(*value)) {
    throw Error(where() + "metadata key '" + full(key) + "' is not a finite number");
  }
  return value.value_or(fallback);
}

double HyperparameterReader::required_float(std::string_view key) const {
  if (!file_.get_float(full(key)))
    throw Error(where() + "missing metadata key '" + full(key) + "'");
  return optional_float(key, 0.0);
}

std::optional<std::string> HyperparameterReader::optional_string(std::string_view key) const {
  return file_.get_string(full(key));
}

std::string HyperparameterReader::where() const {
  return "model '" + file_.path() + "': ";
}

int64_t HyperparameterReader::checked(std::string_view key, uint64_t value, int64_t max) const {
  if (value == 0 || value > static_cast<uint64_t>(max)) {
    throw Error(where() + "metadata key '" + full(key) + "' = " + std::to_string(value) +
                " is out of range (1.." + std::to_string(max) + ")");
  }
  return static_cast<int64_t>(value);
}

}  // namespace weft::model
