#include "server/program_runtime.hpp"

#include "backend/native_backend.hpp"
#include "weft/error.hpp"

namespace weft::server {

std::shared_ptr<ContextRuntime> program_runtime(Backend& backend) {
  auto* native = dynamic_cast<backend::NativeBackend*>(&backend);
  if (!native) {
    throw Error(ErrorCode::invalid_request,
                "programs run on the native backend only; this daemon serves '" + backend.name() +
                    "', whose model weft cannot step through");
  }
  return native->context_runtime();
}

}  // namespace weft::server
