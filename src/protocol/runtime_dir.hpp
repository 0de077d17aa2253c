// Where the daemon's sockets live (PROTOCOLS §1, with the name "weft"):
// $XDG_RUNTIME_DIR/weft/, else $HOME/.weft/run/, else /tmp/weft-<uid>/.
#pragma once

#include <functional>
#include <string>

namespace weft::protocol {

inline constexpr const char* kInferenceSocketName = "infer.sock";
inline constexpr const char* kAdminSocketName = "admin.sock";
inline constexpr const char* kLockFileName = "weft.lock";
// inferd wire v2 (inferd docs/protocol-v2.md §1): the generation and embeddings sockets.
inline constexpr const char* kV2SocketName = "inferd.sock";
inline constexpr const char* kEmbedSocketName = "infer.embed.sock";
// `weft serve --inferd-compat` takes inferd's own lock, so weft and a real inferd exclude
// each other on the same directory.
inline constexpr const char* kInferdLockFileName = "inferd.lock";
inline constexpr unsigned short kDefaultTcpPort = 47321;

using EnvironmentLookup = std::function<const char*(const char*)>;

// `lookup` defaults to getenv; tests pass their own.
std::string resolve_runtime_dir(const EnvironmentLookup& lookup = {});
// The directory real inferd clients dial: $XDG_RUNTIME_DIR/inferd/, else $HOME/.inferd/run/,
// else /tmp/inferd-<uid>/ (inferd's endpoint.rs; its protocol-v2.md §1.1 says /tmp/inferd/,
// and the spec defers to the source where they disagree).
std::string resolve_inferd_runtime_dir(const EnvironmentLookup& lookup = {});

}  // namespace weft::protocol
