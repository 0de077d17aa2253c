#include "server/daemon_stats.hpp"

#include "backend/native_backend.hpp"
#include "server/program_host.hpp"

namespace weft::server {

nlohmann::json kv_stats_json(const runtime::SchedulerStats& stats) {
  return {{"pages_in_use", stats.pages_in_use},
          {"pages_committed", stats.pages_committed},
          {"pages_capacity", stats.pages_capacity},
          {"pages_cached", stats.pages_cached},
          {"prompt_tokens_cached", stats.prompt_tokens_cached},
          {"prompt_tokens_computed", stats.prompt_tokens_computed},
          {"live", stats.live},
          {"waiting", stats.waiting}};
}

nlohmann::json daemon_stats(ServerContext& context) {
  nlohmann::json detail = {
      {"requests",
       {{"active", context.admission().active()}, {"queued", context.admission().queued()}}}};
  auto loaded = context.backend();
  if (auto* native = dynamic_cast<backend::NativeBackend*>(loaded.get())) {
    if (auto* scheduler = native->scheduler()) {
      const auto stats = scheduler->stats();
      detail["kv"] = kv_stats_json(stats);
      detail["speculation"] = {{"drafted", stats.drafted}, {"accepted", stats.accepted}};
      // Draft-model speculation: its batched calls and their rows.
      if (stats.draft_steps > 0) {
        detail["speculation"]["draft_model_calls"] = stats.draft_steps;
        detail["speculation"]["draft_model_rows"] = stats.draft_rows;
      }
    }
  }
  if (auto* programs = context.programs()) detail["programs"] = programs->stats();
  return detail;
}

}  // namespace weft::server
