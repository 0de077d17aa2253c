#include "kv/kv_type_name.hpp"

#include "weft/error.hpp"

namespace weft::kv {

tensor::ElementType kv_type_from_name(std::string_view name, std::string_view what) {
  if (name == "f16") return tensor::ElementType::F16;
  if (name == "f32") return tensor::ElementType::F32;
  if (name == "q8_0") return tensor::ElementType::Q8_0;
  throw Error(ErrorCode::invalid_request, std::string(what) + " must be " +
                                              std::string(kKvTypeNames) + ", not '" +
                                              std::string(name) + "'");
}

std::string kv_type_name(tensor::ElementType type) {
  switch (type) {
    case tensor::ElementType::F16:
      return "f16";
    case tensor::ElementType::F32:
      return "f32";
    case tensor::ElementType::Q8_0:
      return "q8_0";
    default:
      return "unknown";
  }
}

}  // namespace weft::kv
