// `weft ps`: what a running daemon has loaded, from its admin socket (as `weft status`) and
// its memory from /proc (the daemon's pid is in the lock file beside the admin socket).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"
#include "store/model_resolver.hpp"
#include "store/progress_meter.hpp"
#include "weft/client.hpp"

namespace weft::cli {
namespace {

constexpr std::chrono::milliseconds kSnapshotWait{500};

// The resident memory of the daemon named by the lock file in `directory`, or "?".
std::string daemon_memory(const std::filesystem::path& directory) {
  for (const char* lock : {"weft.lock", "inferd.lock"}) {
    std::ifstream lock_file(directory / lock);
    long pid = 0;
    if (!(lock_file >> pid) || pid <= 0) continue;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("VmRSS:", 0) != 0) continue;
      const uint64_t kib = std::stoull(line.substr(6));
      return store::human_bytes(kib * 1024);
    }
  }
  return "?";
}

int show_loaded(const std::string& socket) {
  const std::string path = socket.empty() ? client::default_admin_socket_path() : socket;
  auto admin = client::AdminClient::connect(path);
  std::string model, backend, state;
  // The snapshot: capabilities (when a backend is loaded), then the state.
  while (auto event = admin.next_for(kSnapshotWait)) {
    if (event->is_capabilities()) {
      backend = event->backend;
      const auto frame = nlohmann::json::parse(event->raw, nullptr, false);
      if (frame.is_object()) {
        const std::string file = frame.value("model_path", "");
        model = file.empty() ? frame.value("model", "") : store::display_name_of(file);
      }
      continue;
    }
    if (event->is_stats()) continue;
    state = event->status;
    if (event->path && !event->path->empty()) model = *event->path;
    break;
  }
  std::printf("%-40s %-8s %-14s %10s  %s\n", "NAME", "BACKEND", "STATE", "MEMORY", "UNTIL");
  if (backend.empty() && model.empty()) return 0;  // nothing loaded yet
  // weft keeps one model resident for as long as the daemon runs (no keep-alive timer).
  std::printf("%-40s %-8s %-14s %10s  %s\n", model.empty() ? "-" : model.c_str(),
              backend.empty() ? "-" : backend.c_str(), state.c_str(),
              daemon_memory(std::filesystem::path(path).parent_path()).c_str(), "until stopped");
  return 0;
}

}  // namespace

Command add_ps_command(CLI::App& app) {
  auto socket = std::make_shared<std::string>();
  auto* sub = app.add_subcommand(
      "ps", "Show the model a running weft serve has loaded: name, backend, state, memory, until");
  sub->footer(
      "From the daemon's admin socket (as weft status); MEMORY is the daemon's resident set; "
      "UNTIL is 'until stopped': weft keeps its one model loaded until the daemon exits.");
  sub->add_option("--socket", *socket,
                  "Admin socket path; default: admin.sock in the runtime directory");
  return {sub, [socket] { return show_loaded(*socket); }};
}

}  // namespace weft::cli
