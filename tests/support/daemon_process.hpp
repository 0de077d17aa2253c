// A real `weft serve` process for end-to-end tests: its own temporary runtime directory
// (through XDG_RUNTIME_DIR), stderr captured to a file, killed on destruction.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "weft/client.hpp"

namespace weft::testing {

// Waits used to keep slow, loaded machines from failing tests; never asserted as speed.
inline constexpr std::chrono::seconds kPatience{60};

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `text` to the file `name` in the directory; returns the file's path.
  std::string write_file(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

// A loopback port that was free a moment ago.
uint16_t free_tcp_port();

class DaemonProcess {
 public:
  struct Options {
    std::vector<std::string> args = {"--backend", "stub"};  // after `weft serve`
    std::map<std::string, std::string> env;                 // added to the environment
    std::string xdg_runtime_dir;                            // "" = a fresh temporary directory
  };

  explicit DaemonProcess(Options options);
  DaemonProcess() : DaemonProcess(Options{}) {}
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  std::string runtime_dir() const { return xdg_ + "/weft"; }
  std::string infer_path() const { return runtime_dir() + "/infer.sock"; }
  std::string admin_path() const { return runtime_dir() + "/admin.sock"; }
  client::Address infer_address() const { return client::Address::unix_socket(infer_path()); }
  pid_t pid() const { return pid_; }

  // Dials the inference socket with dial_and_wait_ready (patient).
  client::Client connect() const;
  client::AdminClient admin() const;  // waits for the admin socket to appear
  void send_signal(int signal) const;
  // The exit status once it exits, or nullopt if it is still running after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = kPatience);
  std::string log() const;
  // Waits until the log holds a line containing every one of `needles`.
  bool wait_for_log_line(const std::vector<std::string>& needles,
                         std::chrono::milliseconds timeout = kPatience) const;

 private:
  std::optional<TempDir> own_dir_;
  std::string xdg_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

// Runs `weft ARGS…` to completion with extra environment; returns exit status and stdout.
struct CommandResult {
  int status = -1;
  std::string output;  // stdout
  std::string errors;  // stderr
};
CommandResult run_weft(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env = {});

}  // namespace weft::testing
