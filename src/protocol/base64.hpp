// Base64 (RFC 4648, with padding) for the binary fields of the wire formats: OpenAI's
// base64 embeddings and the program protocol's logits and vocabulary pieces.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace weft::protocol {

std::string base64_encode(std::string_view bytes);
// The floats' little-endian float32 bytes, in base64.
std::string base64_floats(std::span<const float> values);
// The bytes of padded base64 text; nullopt when it is not that (a character outside the
// alphabet, a length not a multiple of 4, padding other than at the end, nonzero spare bits).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace weft::protocol
