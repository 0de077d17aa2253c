// The daemon's programs (docs/programs.md, "Programs in the daemon"): runs DIR/NAME.js for a
// program request, each on a worker thread of its own, all on one ContextRuntime and one
// MessageHub (so messaging.* reaches every program of the daemon), at most max_programs at
// once. Streams session.send messages and the result to the connection as frames.
// Thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "program/message_hub.hpp"
#include "program/program_process.hpp"
#include "program/program_run.hpp"
#include "protocol/request_codec.hpp"
#include "server/config.hpp"
#include "server/generation_job.hpp"
#include "sync/mutex.hpp"
#include "weft/backend.hpp"
#include "weft/context.hpp"

namespace weft::server {

class ServerContext;

// Lets a connection, or the daemon, stop a program that runs on a worker thread.
class ProgramHandle {
 public:
  enum class Stop { none, client_gone, reloading, shutting_down };

  // False when stop() came first: the caller must stop the run itself. Hands the run what
  // the client sent before it started.
  bool attach(program::ProgramRun* run);
  void detach();
  // The first reason wins.
  void stop(Stop why);
  Stop stopped() const;

  // A client message for the program's session.receive, kept until the program starts; false
  // when its unread messages would pass program::kMaxInboxBytes (or it has ended).
  bool deliver(std::string message);
  // The client sends no more: a receive with nothing queued then fails.
  void end_input();

 private:
  mutable sync::Mutex mutex_;
  program::ProgramRun* run_ WEFT_GUARDED_BY(mutex_) = nullptr;
  Stop stopped_ WEFT_GUARDED_BY(mutex_) = Stop::none;
  bool finished_ WEFT_GUARDED_BY(mutex_) =
      false;  // detached after its run: messages have nowhere to go
  std::deque<std::string> early_ WEFT_GUARDED_BY(mutex_);  // sent before attach
  size_t early_bytes_ WEFT_GUARDED_BY(mutex_) = 0;
  bool input_ended_ WEFT_GUARDED_BY(mutex_) = false;
};

struct ProgramJob {
  protocol::ProgramRequest request;
  std::chrono::steady_clock::time_point received;
  std::shared_ptr<ProgramHandle> handle;
  std::shared_ptr<Outbox> outbox;
  std::function<void(std::string)> deliver;  // posts one frame to the connection
  std::function<void()> finished;            // posts "next request" to the connection
};

class ProgramHost {
 public:
  // Throws weft::Error when Node cannot run, or a sandbox layer asked for is missing.
  explicit ProgramHost(const ServeConfig& config);
  ~ProgramHost();

  struct Refusal {
    ErrorCode code;
    std::string message;
  };
  // On the event loop, before a worker starts: takes one of the max_programs places for
  // `handle`, or says why not (no such program, the cap reached, the daemon stopping). A
  // program admitted must be run().
  std::optional<Refusal> admit(const protocol::ProgramRequest& request,
                               const std::shared_ptr<ProgramHandle>& handle);
  // On a worker thread: runs the program to its end. Ends with exactly one done or error
  // frame delivered, its place released, one request log line, then job.finished().
  void run(ServerContext& context, ProgramJob job);
  // Stops every running program (their clients get an error frame saying `why`) and refuses
  // new ones until accept(). Drops the runtime, which a reload makes stale.
  void stop_all(ProgramHandle::Stop why);
  void accept();
  size_t running() const;
  // `{"running", "contexts", "pages_in_use"}` for the admin `stats` frame: programs running,
  // context references to KV pages and distinct pages in use in the programs' runtime.
  nlohmann::json stats() const;

 private:
  std::shared_ptr<ContextRuntime> runtime_for(ServerContext& context);
  std::string terminal_frame(const ProgramJob& job, const program::ProgramRunResult& result,
                             const std::string& backend) const;

  const ServeConfig config_;
  const program::SandboxPlan plan_;
  program::MessageHub hub_;

  mutable sync::Mutex mutex_;
  bool accepting_ WEFT_GUARDED_BY(mutex_) = true;
  std::set<std::shared_ptr<ProgramHandle>> running_ WEFT_GUARDED_BY(mutex_);
  std::shared_ptr<ContextRuntime> runtime_ WEFT_GUARDED_BY(mutex_);
  std::weak_ptr<Backend> runtime_backend_
      WEFT_GUARDED_BY(mutex_);  // the backend runtime_ was opened for

  sync::Mutex open_mutex_;  // one runtime asked for at a time
};

}  // namespace weft::server
