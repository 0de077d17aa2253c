#include "backend/native_kv_type.hpp"

#include <memory>

#include "backend/native_backend.hpp"
#include "kv/kv_type_name.hpp"

namespace weft::backend {

void use_kv_type_for_native(BackendRegistry& registry, const std::string& name) {
  NativeConfig config;
  config.kv_type = kv::kv_type_from_name(name, "kv_type");
  registry.add("native", [config] { return std::make_unique<NativeBackend>(config); });
}

}  // namespace weft::backend
