// One run of a program (inferlet) from start to end, for `weft program run` and for the
// daemon's program requests (docs/programs.md): a scratch directory, the Node process inside
// its sandbox, the protocol session between them, a wall-time watchdog, and how it ended.
//
//   ProgramRun run(runtime, hub, {.program_path = "/abs/p.js", .sdk_dir = sdk, .input = in});
//   ProgramRunResult result = run.run();   // blocks until the program ends
//
// Threads: run() blocks its caller (run it on a thread of its own in a server). stop(),
// deliver() and end_input() may be called from any thread, before, during or after run().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "program/message_hub.hpp"
#include "program/program_process.hpp"
#include "program/program_session.hpp"
#include "sync/mutex.hpp"
#include "weft/context.hpp"

namespace weft::program {

struct ProgramRunOptions {
  std::string program_path;  // an existing file; made absolute by run()
  std::string sdk_dir;       // holds runner.mjs and loader.mjs
  nlohmann::json input = nlohmann::json::object();
  std::optional<uint64_t> seed;  // random when unset
  std::chrono::duration<double> timeout{300.0};
  int64_t max_pages = 0;  // 0: as many as the pool has
  int64_t max_contexts = 64;
  std::string node = "node";
  SandboxChoice sandbox = SandboxChoice::automatic;
  // The sandbox decided once beforehand (a server plans it once for every run); unset:
  // plan_sandbox() at each run.
  std::optional<SandboxPlan> plan;
  // session.send, in the program's order, on a protocol thread.
  std::function<void(const std::string&)> on_send;
  // session.sendFile and session.receiveFile (ProgramSetup's on_send_file and files).
  std::function<void(const std::string&)> on_send_file;
  std::vector<std::string> files;
};

struct ProgramRunResult {
  enum class Kind {
    returned,   // main() returned `value`
    failed,     // main() threw: `message` is the program's error
    timed_out,  // killed at the time limit
    stopped,    // killed by stop()
    vanished,   // the process ended without a result: `message` says how
  };
  Kind kind = Kind::vanished;
  nlohmann::json value;
  std::string message;
};

// A directory the program may write, removed with its contents when the run ends.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ProgramRun {
 public:
  ProgramRun(std::shared_ptr<ContextRuntime> runtime, MessageHub& hub, ProgramRunOptions options);
  ~ProgramRun();
  ProgramRun(const ProgramRun&) = delete;
  ProgramRun& operator=(const ProgramRun&) = delete;

  // Starts the program and waits for its end. Every context it held is released when this
  // returns. Throws weft::Error when it cannot start (no file, no Node, a sandbox layer asked
  // for by name that is missing, a bad limit). Call once.
  ProgramRunResult run();
  // Kills the program (now, or as soon as it starts); run() then returns `stopped`.
  void stop();
  // A line for the program's session.receive; after end_input() a receive with nothing queued
  // fails. False when the program's unread messages would pass kMaxInboxBytes.
  bool deliver(std::string message);
  void end_input();

 private:
  ProgramRunResult finish(const ProgramOutcome& outcome, int status, bool timed_out);
  void kill_process();

  ProgramRunOptions options_;
  ProgramSession session_;
  sync::Mutex mutex_;
  bool stopped_ WEFT_GUARDED_BY(mutex_) = false;
  ProgramProcess* process_ WEFT_GUARDED_BY(mutex_) = nullptr;  // while it runs, under mutex_
};

// What a result means in one sentence, for error messages ("the program failed: …").
std::string describe(const ProgramRunResult& result, std::chrono::duration<double> timeout);

}  // namespace weft::program
