#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "weft/client.hpp"

namespace weft::cli {
namespace {

// How long `weft status` waits for the snapshot's stats frame after the state frame (a
// daemon without stats, e.g. while loading, sends none).
constexpr std::chrono::milliseconds kSnapshotStatsWait{500};

struct StatusOptions {
  std::string socket;
  bool follow = false;
  bool json = false;
};

void print_event(const client::AdminEvent& event, bool json) {
  if (json) {
    std::fputs(event.raw.c_str(), stdout);
    if (event.raw.empty() || event.raw.back() != '\n') std::fputc('\n', stdout);
  } else if (event.is_stats()) {
    if (event.active_requests && event.queued_requests) {
      std::printf("requests: %llu active, %llu queued\n",
                  static_cast<unsigned long long>(*event.active_requests),
                  static_cast<unsigned long long>(*event.queued_requests));
    }
    if (event.kv) {
      const auto& kv = *event.kv;
      std::printf(
          "kv cache: %llu of %llu pages in use (%llu committed, %llu in the prefix cache)\n"
          "prompt tokens: %llu from the prefix cache, %llu computed\n",
          static_cast<unsigned long long>(kv.pages_in_use),
          static_cast<unsigned long long>(kv.pages_capacity),
          static_cast<unsigned long long>(kv.pages_committed),
          static_cast<unsigned long long>(kv.pages_cached),
          static_cast<unsigned long long>(kv.prompt_tokens_cached),
          static_cast<unsigned long long>(kv.prompt_tokens_computed));
    }
  } else if (event.is_capabilities()) {
    std::printf("backend: %s (accelerator %s, gpu layers %d)\n", event.backend.c_str(),
                event.accelerator.c_str(), event.gpu_layers);
  } else {
    std::string line = "state: " + event.status;
    if (!event.phase.empty()) line += " (" + event.phase;
    if (event.path && !event.path->empty()) line += " " + *event.path;
    if (event.n_ctx) line += " n_ctx=" + std::to_string(*event.n_ctx);
    if (!event.phase.empty()) line += ")";
    std::printf("%s\n", line.c_str());
  }
  std::fflush(stdout);
}

int show_status(const StatusOptions& options) {
  auto admin = client::AdminClient::connect(
      options.socket.empty() ? client::default_admin_socket_path() : options.socket);
  while (auto event = admin.next()) {
    print_event(*event, options.json);
    // Without --follow: the snapshot is capabilities, the state, then the latest stats
    // when the daemon has any; they are sent together, so a short wait finds them.
    if (!options.follow && !event->is_capabilities()) {
      if (event->is_stats()) return 0;
      auto stats = admin.next_for(kSnapshotStatsWait);
      if (stats && stats->is_stats()) print_event(*stats, options.json);
      return 0;
    }
  }
  if (!options.follow) {
    std::fprintf(stderr, "weft: error: the daemon closed the admin socket\n");
    return 1;
  }
  return 0;
}

}  // namespace

Command add_status_command(CLI::App& app) {
  auto options = std::make_shared<StatusOptions>();
  auto* sub = app.add_subcommand("status", "Show the daemon's state from its admin socket");
  sub->add_flag("-f,--follow", options->follow,
                "Keep printing state changes until the daemon exits");
  sub->add_flag("--json", options->json, "Print the admin frames as they arrive (NDJSON)");
  sub->add_option("--socket", options->socket,
                  "Admin socket path; default: admin.sock in the runtime directory");
  return {sub, [options] { return show_status(*options); }};
}

}  // namespace weft::cli
