// One run of an engine binary that speaks the Infernet engine protocol v1
// (docs/engine-protocol.md), as the `process` backend's host side: the child with its stdin
// and stdout, a reader thread that demultiplexes the engine's lines by generation id onto
// their channels, and the child's end.
//
// Faults end in events, never in a hang or a crash of the host: a line that is not valid is
// logged and dropped; the engine's exit (or a closed stdout) ends every generation in flight
// with an error; an engine that stops reading its input for longer than write_timeout is
// killed. The destructor asks for shutdown, then sends SIGTERM and SIGKILL after
// shutdown_timeout, and always reaps the child and joins the reader.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "protocol/engine_protocol.hpp"
#include "sync/mutex.hpp"
#include "weft/generation.hpp"
#include "weft/types.hpp"

namespace weft::backend {

struct EngineProcessOptions {
  std::string binary;  // a path, or a name looked up in PATH
  std::vector<std::string> arguments;
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds shutdown_timeout{5000};
  // A generation that gets no line from the engine for this long ends with an error (and
  // the engine is told to cancel it), so that a hung engine cannot hold a stream forever.
  std::chrono::milliseconds stall_timeout{120000};
  // Where the engine's `log` lines and the host's own warnings go (default: stderr).
  std::function<void(std::string_view level, std::string_view message)> log;
};

class EngineProcess : public std::enable_shared_from_this<EngineProcess> {
 public:
  // Starts the binary. Throws weft::Error (backend_unavailable) when it cannot be started.
  static std::shared_ptr<EngineProcess> spawn(EngineProcessOptions options);
  ~EngineProcess();
  EngineProcess(const EngineProcess&) = delete;
  EngineProcess& operator=(const EngineProcess&) = delete;

  // Sends `load {model}` without waiting (a generate sent after it is served after it).
  void send_load(const std::string& model);
  // Waits for `ready` carrying `model` (any `ready` when nullopt) that arrived after
  // `since` readies had been seen, an engine-level error after `since_errors` errors, the
  // engine's exit, or the timeout. Returns the ready's model; throws weft::Error otherwise.
  std::optional<std::string> wait_ready(const std::optional<std::string>& model, size_t since,
                                        size_t since_errors, std::chrono::milliseconds timeout);
  // How many readies and engine-level errors have arrived so far (for wait_ready).
  std::pair<size_t, size_t> seen() const;

  // Writes a generate for `request` under a fresh id and streams its events to `channel`.
  void start_generation(const GenerationRequest& request, GenerationChannel channel);

  bool alive() const;
  // "exited with status N" / "killed by signal S" once the child is gone.
  std::string exit_description() const;
  pid_t pid() const { return pid_; }
  size_t generations_in_flight() const;
  // Generations this engine ended with `done`: a restarted engine that served some was
  // not crash-looping.
  size_t completed_generations() const { return completed_.load(); }

 private:
  struct Inflight {
    GenerationChannel channel;
    std::string streamed;  // the text sent as token events so far
    uint32_t tokens = 0;
    std::chrono::steady_clock::time_point last_heard = std::chrono::steady_clock::now();
  };

  explicit EngineProcess(EngineProcessOptions options);
  void start_child();
  void read_loop();
  void handle_line(std::string_view line);
  void dispatch(protocol::engine::EngineEvent event);
  void finish_generation(const std::string& id, const protocol::engine::EngineEvent& event);
  void cancel(const std::string& id);
  void expire_stalled();
  // Writes a whole line. Gives up without writing when the engine takes no byte within
  // `start_timeout`; a line begun is finished within write_timeout or the engine is killed
  // (half a line would corrupt the next).
  bool write_line(const std::string& line, std::chrono::milliseconds start_timeout);
  void fail_all(const std::string& message);
  void signal_child(int signal);
  bool child_exited() const;
  void reap();
  void log(std::string_view level, std::string_view message) const;

  EngineProcessOptions options_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;   // our end of the engine's stdin (a socket: writes never raise SIGPIPE)
  int stdout_fd_ = -1;  // our end of the engine's stdout

  mutable sync::Mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Inflight> inflight_ WEFT_GUARDED_BY(mutex_);
  std::vector<std::optional<std::string>> readies_ WEFT_GUARDED_BY(mutex_);
  std::vector<std::string> engine_errors_ WEFT_GUARDED_BY(mutex_);
  bool reaped_ WEFT_GUARDED_BY(mutex_) = false;
  bool closed_ WEFT_GUARDED_BY(mutex_) = false;  // stdout ended: no more events will come
  int wait_status_ WEFT_GUARDED_BY(mutex_) = 0;
  uint64_t next_id_ WEFT_GUARDED_BY(mutex_) = 0;

  sync::Mutex write_mutex_;
  std::atomic<size_t> completed_{0};
  std::thread reader_;
};

}  // namespace weft::backend
