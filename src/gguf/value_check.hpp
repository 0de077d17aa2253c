// Consistency of a metadata Value built in memory (the reader's values are consistent by
// construction): the payload matches the declared type and fits its width.
#pragma once

#include <string>

#include "gguf/gguf_value.hpp"

namespace weft::gguf {

// Throws weft::Error naming `where` (e.g. "metadata key 'x'") on the first inconsistency.
void check_value(const Value& value, const std::string& where);

}  // namespace weft::gguf
