#include "program/program_session.hpp"

#include <condition_variable>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "program/line_channel.hpp"
#include "program/program_state.hpp"
#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::program {
namespace {

using nlohmann::json;

// Most async requests in flight at once; past it a request is refused at once.
constexpr size_t kMaxInFlight = 256;

json error_response(const std::string& code, const std::string& message) {
  return {{"ok", false}, {"error", {{"code", code}, {"message", message}}}};
}

// One request line, parsed once (on the thread that read it).
struct Request {
  json body;
  json id;                // null when absent
  std::string malformed;  // the parse error; empty when `body` is the line's JSON
};

Request parse_request(const std::string& line) {
  Request request;
  try {
    request.body = json::parse(line);
  } catch (const json::exception& error) {
    request.malformed = error.what();
    return request;
  }
  if (request.body.is_object()) {
    const auto id = request.body.find("id");
    if (id != request.body.end()) request.id = *id;
  }
  return request;
}

// The response line to `request` (the id echoed when there is one), from `run`'s result;
// nullopt when `run` declined the request (returned nullopt) and wrote nothing.
template <typename Run>
std::optional<std::string> respond(const Request& request, bool needs_id, Run&& run) {
  if (!request.malformed.empty()) {
    return error_response("invalid_request", "malformed JSON: " + request.malformed).dump();
  }
  json response;
  try {
    if (!request.body.is_object()) throw Error("a request must be a JSON object");
    if (needs_id && !request.id.is_number_integer()) {
      throw Error("a request on the async channel needs an integer 'id'");
    }
    std::optional<json> result = run(request.body);
    if (!result) return std::nullopt;
    response = {{"ok", true}, {"result", std::move(*result)}};
  } catch (const ProtocolError& error) {
    response = error_response(error.code, error.what());
  } catch (const Error& error) {
    // A full KV pool is a limit the program met, as the protocol names limits.
    const auto code = error.code() == ErrorCode::queue_full ? std::string("resource_exhausted")
                                                            : std::string(to_string(error.code()));
    response = error_response(code, error.what());
  } catch (const std::exception& error) {
    response = error_response("internal", error.what());
  }
  if (!request.id.is_null()) response["id"] = request.id;
  return response.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The response to a request that may wait as long as it needs.
std::string respond_waiting(ProgramSession::State& state, const Request& request, bool needs_id) {
  return *respond(request, needs_id,
                  [&](const json& body) { return std::optional<json>(state.run(body)); });
}

// Runs async requests on workers that are reused, and added while every one is busy (a
// request may wait for a message as long as the program likes).
class AsyncWorkers {
 public:
  AsyncWorkers(ProgramSession::State& state, LineChannel& channel)
      : state_(state), channel_(channel) {}
  ~AsyncWorkers() { join(); }

  void submit(Request request) {
    sync::MutexLock lock(mutex_);
    if (queued_.size() + busy_ >= kMaxInFlight) {
      lock.unlock();
      channel_.write_line(respond_refused(request));
      return;
    }
    queued_.push_back(std::move(request));
    if (idle_ == 0) workers_.emplace_back([this] { work(); });
    lock.unlock();
    wake_.notify_one();
  }

  void join() {
    {
      const sync::MutexLock lock(mutex_);
      closing_ = true;
    }
    wake_.notify_all();
    for (auto& worker : workers_) worker.join();
    workers_.clear();
  }

 private:
  static std::string respond_refused(const Request& request) {
    auto response =
        error_response("resource_exhausted", "the program has " + std::to_string(kMaxInFlight) +
                                                 " async requests in flight already");
    if (!request.id.is_null()) response["id"] = request.id;
    return response.dump();
  }

  void work() {
    sync::MutexLock lock(mutex_);
    while (true) {
      ++idle_;
      while (queued_.empty() && !closing_) lock.wait(wake_);
      --idle_;
      if (queued_.empty()) return;
      auto request = std::move(queued_.front());
      queued_.pop_front();
      ++busy_;
      lock.unlock();
      channel_.write_line(respond_waiting(state_, request, /*needs_id=*/true));
      lock.lock();
      --busy_;
    }
  }

  ProgramSession::State& state_;
  LineChannel& channel_;
  sync::Mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queued_ WEFT_GUARDED_BY(mutex_);
  std::vector<std::thread> workers_;
  size_t idle_ WEFT_GUARDED_BY(mutex_) = 0;
  size_t busy_ WEFT_GUARDED_BY(mutex_) = 0;
  bool closing_ WEFT_GUARDED_BY(mutex_) = false;
};

}  // namespace

ProgramSession::ProgramSession(std::shared_ptr<ContextRuntime> runtime, MessageHub& hub,
                               ProgramSetup setup)
    : state_(std::make_unique<State>(std::move(runtime), hub, std::move(setup))) {}

ProgramSession::~ProgramSession() = default;

ProgramOutcome ProgramSession::serve(int call_fd, int async_fd) {
  LineChannel call(call_fd);
  LineChannel async(async_fd);
  {
    const sync::MutexLock lock(state_->mutex);
    state_->call_channel = &call;
    state_->async_channel = &async;
  }
  std::string channel_error;
  {
    AsyncWorkers workers(*state_, async);
    std::thread reader([&] {
      try {
        // A request that finishes without waiting is answered here: no worker wakes for it.
        while (auto line = async.read_line()) {
          auto request = parse_request(*line);
          const auto answer = respond(request, /*needs_id=*/true,
                                      [&](const json& body) { return state_->run_at_once(body); });
          if (answer) {
            async.write_line(*answer);
          } else {
            workers.submit(std::move(request));
          }
        }
      } catch (const std::exception&) {
        call.shutdown();  // a line past the limit ends the program
      }
    });
    try {
      while (!state_->stopping) {
        auto line = call.read_line();
        if (!line) break;
        if (!call.write_line(respond_waiting(*state_, parse_request(*line), /*needs_id=*/false)))
          break;
      }
    } catch (const std::exception& error) {
      channel_error = error.what();
    }
    stop();
    reader.join();
    workers.join();
  }
  {
    const sync::MutexLock lock(state_->mutex);
    state_->call_channel = nullptr;
    state_->async_channel = nullptr;
  }
  state_->release_all();
  const sync::MutexLock lock(state_->mutex);
  if (state_->outcome) return *state_->outcome;
  ProgramOutcome outcome;
  if (!channel_error.empty()) {
    outcome.kind = ProgramOutcome::Kind::failed;
    outcome.error = channel_error;
  }
  return outcome;
}

bool ProgramSession::deliver(std::string message) {
  {
    const sync::MutexLock lock(state_->mutex);
    if (state_->inbox_bytes + message.size() > kMaxInboxBytes) return false;
    state_->inbox_bytes += message.size();
    state_->inbox.push_back(std::move(message));
  }
  state_->inbox_changed.notify_all();
  return true;
}

void ProgramSession::end_input() {
  {
    const sync::MutexLock lock(state_->mutex);
    state_->input_ended = true;
  }
  state_->inbox_changed.notify_all();
}

void ProgramSession::stop() {
  state_->stopping = true;
  {
    const sync::MutexLock lock(state_->mutex);
    if (state_->call_channel) state_->call_channel->shutdown();
    if (state_->async_channel) state_->async_channel->shutdown();
  }
  state_->inbox_changed.notify_all();
  state_->hub.wake();
}

}  // namespace weft::program
