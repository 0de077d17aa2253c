#include "backend/native_settings.hpp"

#include <memory>

#include "backend/native_backend.hpp"
#include "kv/kv_type_name.hpp"

namespace weft::backend {

void use_native_settings(BackendRegistry& registry, const std::string& kv_type,
                         runtime::LookupSpeculation speculation, const std::string& draft_model) {
  NativeConfig config;
  config.kv_type = kv::kv_type_from_name(kv_type, "kv_type");
  config.speculation = speculation;
  config.draft_model = draft_model;
  config.speculation.draft_model = !draft_model.empty();
  registry.add("native", [config] { return std::make_unique<NativeBackend>(config); });
}

}  // namespace weft::backend
