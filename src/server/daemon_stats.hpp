// The admin socket's `stats` frame (a weft extension, docs/protocol.md): the daemon's
// admission counters and, for the native backend, its scheduler's KV cache and speculation
// counters.
#pragma once

#include <nlohmann/json.hpp>

#include "runtime/scheduler.hpp"
#include "server/context.hpp"

namespace weft::server {

// `{"live","waiting","pages_…","prompt_tokens_…"}` from the scheduler's own counters.
nlohmann::json kv_stats_json(const runtime::SchedulerStats& stats);

// The detail keys of a `stats` frame: `requests {active, queued}`, plus `kv` and
// `speculation {drafted, accepted}` when the loaded backend is the native one (other backends
// keep no KV cache of their own here).
nlohmann::json daemon_stats(ServerContext& context);

}  // namespace weft::server
