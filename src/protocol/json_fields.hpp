// Reading the fields of a JSON request the way every weft wire decoder does (the inferd v1
// and v2 sockets, the embeddings socket, the Infernet engine protocol).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weft::protocol {

// Thrown inside a decoder only; the decoder turns it into its wire's error naming the field.
struct FieldError {
  std::string message;
};

// Absent and null both mean "not given": clients (JavaScript ones especially) write null for
// unset fields.
template <typename Json>
const Json* find_field(const Json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return nullptr;
  return &*found;
}

// `stop`: an array of non-empty strings, or (where `one_string` allows it) a single one.
// Throws FieldError.
std::vector<std::string> decode_stop_strings(const nlohmann::json& object, bool one_string);

}  // namespace weft::protocol
