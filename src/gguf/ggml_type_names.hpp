// Names of every element type id some ggml version defines, including the ones weft cannot
// compute on, so that errors can say "unsupported iq2_xxs" rather than "unknown 16".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace weft::gguf {

// ggml's own name for the type id (as ggml_type_name spells it; retired ids keep the name
// they had), or nullopt for ids no ggml version has defined.
std::optional<std::string_view> ggml_type_name(uint32_t id);

}  // namespace weft::gguf
