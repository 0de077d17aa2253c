// The names of the KV cache element types, as the command line, the serve config file and
// WEFT_KV_TYPE spell them (llama.cpp's -ctk/-ctv names): f16, f32, q8_0.
#pragma once

#include <string>
#include <string_view>

#include "tensor/formats/element_type.hpp"

namespace weft::kv {

inline constexpr std::string_view kKvTypeNames = "f16, f32 or q8_0";

// Throws weft::Error (invalid_request) naming `what` (e.g. "--kv-type") for any other name.
tensor::ElementType kv_type_from_name(std::string_view name, std::string_view what = "--kv-type");

// "f16", "f32" or "q8_0"; "unknown" for a type a KV cache cannot have.
std::string kv_type_name(tensor::ElementType type);

}  // namespace weft::kv
