// Where the daemon's sockets live (PROTOCOLS §1, with the name "weft"):
// $XDG_RUNTIME_DIR/weft/, else $HOME/.weft/run/, else /tmp/weft-<uid>/.
#pragma once

#include <functional>
#include <string>

namespace weft::protocol {

inline constexpr const char* kInferenceSocketName = "infer.sock";
inline constexpr const char* kAdminSocketName = "admin.sock";
inline constexpr const char* kLockFileName = "weft.lock";
inline constexpr unsigned short kDefaultTcpPort = 47321;

using EnvironmentLookup = std::function<const char*(const char*)>;

// `lookup` defaults to getenv; tests pass their own.
std::string resolve_runtime_dir(const EnvironmentLookup& lookup = {});

}  // namespace weft::protocol
