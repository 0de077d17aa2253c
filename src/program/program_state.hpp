// What one program holds (its handles, inbox and outcome) and the operations of the program
// protocol over it (program_ops.cpp). Internal to ProgramSession.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

#include "program/line_channel.hpp"
#include "program/message_hub.hpp"
#include "program/program_session.hpp"
#include "sync/mutex.hpp"
#include "weft/constraint.hpp"
#include "weft/context.hpp"

namespace weft::program {

// An error with a program-protocol code other than weft::ErrorCode's (docs/programs.md).
struct ProtocolError : std::runtime_error {
  ProtocolError(std::string error_code, const std::string& message)
      : std::runtime_error(message), code(std::move(error_code)) {}
  std::string code;  // "not_found", "resource_exhausted"
};

// An object that one operation at a time may use; the handle map keeps it alive while an
// operation in flight holds it, even after the program released the handle.
template <typename T>
struct Guarded {
  explicit Guarded(T held) : value(std::move(held)) {}
  sync::Mutex mutex;
  T value WEFT_GUARDED_BY(mutex);
};

struct ContextSlot {
  explicit ContextSlot(Context held) : context(std::move(held)) {}
  sync::Mutex mutex;
  Context context WEFT_GUARDED_BY(mutex);
  std::atomic<int64_t> length{0};  // for the page limit, read without the mutex
};

struct ProgramSession::State {
  State(std::shared_ptr<ContextRuntime> runtime_in, MessageHub& hub_in, ProgramSetup setup_in)
      : runtime(std::move(runtime_in)),
        hub(hub_in),
        setup(std::move(setup_in)),
        seeds(setup.seed) {}

  // Runs one request; throws weft::Error or ProtocolError for a refused one.
  nlohmann::json run(const nlohmann::json& request);
  // Runs `request` when it can finish without waiting (a forward pass that needs no model
  // call and whose context and matchers are free); nullopt: run() it where it may wait.
  // Throws as run() does.
  std::optional<nlohmann::json> run_at_once(const nlohmann::json& request);
  // Frees every context, matcher and subscription the program holds.
  void release_all();

  std::shared_ptr<ContextRuntime> runtime;
  MessageHub& hub;
  ProgramSetup setup;

  sync::Mutex mutex;  // the maps, the seed stream, the inbox and the outcome
  std::map<int64_t, std::shared_ptr<ContextSlot>> contexts WEFT_GUARDED_BY(mutex);
  std::map<int64_t, std::shared_ptr<Guarded<Constraint>>> matchers WEFT_GUARDED_BY(mutex);
  std::set<int64_t> subscriptions WEFT_GUARDED_BY(mutex);
  int64_t next_handle WEFT_GUARDED_BY(mutex) = 1;
  std::mt19937_64 seeds WEFT_GUARDED_BY(mutex);
  std::deque<std::string> inbox WEFT_GUARDED_BY(mutex);
  size_t inbox_bytes WEFT_GUARDED_BY(mutex) = 0;  // of the messages in `inbox`
  bool input_ended WEFT_GUARDED_BY(mutex) = false;
  size_t files_received WEFT_GUARDED_BY(mutex) = 0;  // of setup.files
  std::condition_variable inbox_changed;
  std::optional<ProgramOutcome> outcome WEFT_GUARDED_BY(mutex);
  std::atomic<bool> stopping{false};
  // The channels while serve() runs, so that stop() can shut them.
  LineChannel* call_channel WEFT_GUARDED_BY(mutex) = nullptr;
  LineChannel* async_channel WEFT_GUARDED_BY(mutex) = nullptr;
};

}  // namespace weft::program
