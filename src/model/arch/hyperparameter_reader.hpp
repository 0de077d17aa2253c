// Reads the `<arch>.*` metadata keys of a GGUF file with range checks, for the common
// hyperparameters (model_config.cpp) and each architecture's own (arch/<name>.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::gguf {
class GgufFile;
}

namespace weft::model {

class HyperparameterReader {
 public:
  // `prefix`: the architecture's GGUF name, the first part of its keys.
  HyperparameterReader(const gguf::GgufFile& file, std::string prefix)
      : file_(file), prefix_(std::move(prefix)) {}

  // Throws weft::Error naming the key when it is missing, 0 or above `max`.
  int64_t required_count(std::string_view key, int64_t max = int64_t{1} << 31) const;
  // `fallback` when absent; throws when present and 0 or above `max`.
  int64_t optional_count(std::string_view key, int64_t fallback,
                         int64_t max = int64_t{1} << 31) const;
  // `fallback` when absent; throws when present and not finite.
  double optional_float(std::string_view key, double fallback) const;
  // Throws when absent or not finite.
  double required_float(std::string_view key) const;
  std::optional<std::string> optional_string(std::string_view key) const;

  // "model 'PATH': ", the start of every message.
  std::string where() const;
  // The full key name: "<arch>.<key>".
  std::string full(std::string_view key) const { return prefix_ + "." + std::string(key); }

 private:
  int64_t checked(std::string_view key, uint64_t value, int64_t max) const;

  const gguf::GgufFile& file_;
  std::string prefix_;
};

}  // namespace weft::model
