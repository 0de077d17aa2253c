// The global functions every template can call: range, dict, namespace, joiner, and the two
// Hugging Face adds, raise_exception(msg) and strftime_now(fmt).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "chat/jinja/value.hpp"

namespace weft::chat::jinja {

std::vector<std::pair<std::string, Value>> builtin_globals();

}  // namespace weft::chat::jinja
