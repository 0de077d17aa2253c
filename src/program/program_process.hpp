// The Node process a program runs in (docs/programs.md, "Running a program" and "The
// sandbox"): the SDK's runner started on the program, inside what sandbox layers there are,
// with the two protocol channels inherited as file descriptors 3 and 4.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "sync/mutex.hpp"

namespace weft::program {

enum class SandboxChoice { automatic, bwrap, node, none };
// "auto", "bwrap", "node" or "none"; throws weft::Error for anything else.
SandboxChoice parse_sandbox(const std::string& name);

struct ProgramLaunch {
  std::string node = "node";  // the executable, found on PATH when it has no '/'
  std::string sdk_dir;        // holds runner.mjs and loader.mjs
  std::string program;        // the program file
  std::string scratch_dir;    // the one directory the program may write
  SandboxChoice sandbox = SandboxChoice::automatic;
};

// The layers a launch will use, in words, for --verbose and the docs' promise.
struct SandboxPlan {
  bool node_permissions = false;
  bool bubblewrap = false;
  std::vector<std::string> notes;  // why a layer is missing
};

// Decides the layers (asks Node for its version, looks for bwrap on PATH). Throws
// weft::Error when a layer asked for by name is not available.
SandboxPlan plan_sandbox(const ProgramLaunch& launch);
// The full command line for that plan.
std::vector<std::string> program_command(const ProgramLaunch& launch, const SandboxPlan& plan);

class ProgramProcess {
 public:
  // Starts `command` with `call_fd` and `async_fd` as its fds 3 and 4, its stdout sent to
  // weft's stderr, and WEFT_PROGRAM / WEFT_SCRATCH_DIR set. Throws weft::Error when it cannot
  // be started.
  ProgramProcess(const std::vector<std::string>& command, const ProgramLaunch& launch, int call_fd,
                 int async_fd);
  ~ProgramProcess();  // kills and reaps a process still running
  ProgramProcess(const ProgramProcess&) = delete;
  ProgramProcess& operator=(const ProgramProcess&) = delete;

  // Any thread, also while another waits in wait().
  void kill();
  // Waits for the exit; the status as waitpid gives it.
  int wait();

 private:
  pid_t pid_ = -1;
  sync::Mutex mutex_;
  std::optional<int> status_ WEFT_GUARDED_BY(mutex_);  // under mutex_
};

// "exited with status 3", "was killed by signal 9".
std::string describe_exit(int status);

}  // namespace weft::program
