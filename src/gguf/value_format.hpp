// Human-readable text for metadata values, with long arrays and strings summarised.
#pragma once

#include <cstddef>
#include <limits>
#include <string>

#include "gguf/gguf_value.hpp"

namespace weft::gguf {

struct FormatLimits {
  size_t array_elements = 8;  // shown before "..."
  size_t string_bytes = 160;  // shown before "..." and the full length
  static FormatLimits none() {
    return {std::numeric_limits<size_t>::max(), std::numeric_limits<size_t>::max()};
  }
};

// Scalars as literals, strings quoted and escaped, arrays as `[string × 512] "<unk>", ...`.
std::string format_value(const Value& value, const FormatLimits& limits = {});

// Shortest text that reads back as the same float32 / float64.
std::string format_float32(float value);
std::string format_float64(double value);

// `"text"` with quotes, backslashes and control bytes escaped; other bytes as they are.
std::string quote(const std::string& text, size_t max_bytes);

}  // namespace weft::gguf
