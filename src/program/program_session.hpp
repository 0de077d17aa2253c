// One program (inferlet) connected to a host: serves the program protocol's two channels
// (docs/programs.md) over the public Context/Constraint/Sampler API of one ContextRuntime,
// keeps the program's handles, and releases every context it holds when it goes.
//
//   MessageHub hub;
//   ProgramSession session(runtime, hub, {.input = input, .seed = 7});
//   ProgramOutcome outcome = session.serve(call_fd, async_fd);   // until the program closes
//
// Threads: serve() reads the call channel on the calling thread and the async channel on its
// own; async requests run on a pool of workers that grows with the requests in flight (so a
// pass and a wait for a message can be pending together), which is how the passes of several
// branches awaited together reach the runtime at once and share a model call. A pass that
// needs no model call and finds its locks free is answered by the async channel's reader
// itself (a program's step then wakes no worker). deliver(), end_input() and stop() may be
// called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "program/message_hub.hpp"
#include "weft/context.hpp"

namespace weft::program {

struct ProgramSetup {
  nlohmann::json input = nlohmann::json::object();  // main()'s argument
  uint64_t seed = 0;  // samplers without their own seed draw from a stream seeded with this
  std::string instance_id;
  std::string username;
  int64_t max_contexts = 64;
  int64_t max_pages = 0;  // 0: as many as the pool has
  // session.send: called on a protocol thread, in the order the program sent them.
  std::function<void(const std::string&)> on_send;
  // session.sendFile: the file's bytes, on a protocol thread, in the program's order. Unset:
  // the host keeps no files (sendFile is invalid_request).
  std::function<void(const std::string&)> on_send_file;
  // What session.receiveFile returns, in order; after the last, receiveFile is not_found.
  std::vector<std::string> files;
};

struct ProgramOutcome {
  enum class Kind { returned, failed, vanished };  // vanished: closed without return or fail
  Kind kind = Kind::vanished;
  nlohmann::json value;  // returned
  std::string error;     // failed
};

// What a program's unread session messages may hold: a client that sends faster than its
// program receives is refused rather than growing the host.
inline constexpr size_t kMaxInboxBytes = size_t{16} << 20;

class ProgramSession {
 public:
  ProgramSession(std::shared_ptr<ContextRuntime> runtime, MessageHub& hub, ProgramSetup setup);
  ~ProgramSession();
  ProgramSession(const ProgramSession&) = delete;
  ProgramSession& operator=(const ProgramSession&) = delete;

  // Serves the channels (the fds are owned from now on) until the program closes the call
  // channel or stop() is called; then releases what the program held and says how it ended.
  ProgramOutcome serve(int call_fd, int async_fd);
  // A message for the program's session.receive; after end_input(), a receive with nothing
  // queued fails. False (the message dropped) when the unread messages would pass
  // kMaxInboxBytes.
  bool deliver(std::string message);
  void end_input();
  // Makes serve() return soon (its channels are shut, waits are woken).
  void stop();

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace weft::program
