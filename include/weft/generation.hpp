// A generation in flight: the consumer's stream and the producer's channel share one state.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "weft/events.hpp"
#include "weft/export.hpp"

namespace weft {

namespace detail {
struct GenerationState;
}

// Producer side, held by a backend. Thread-safe. After the first terminal event every
// further call is ignored, so a generation ends with exactly one done or error.
class WEFT_EXPORT GenerationChannel {
 public:
  explicit GenerationChannel(std::string backend_name);

  // Recorded so that a done(cancelled) made on the consumer side carries real usage.
  void set_prompt_tokens(uint32_t count);

  // Returns false once the generation is cancelled or finished: the producer should stop.
  bool token(TokenEvent event);
  void done(DoneEvent event);
  void error(ErrorCode code, std::string message);

  bool cancelled() const;
  // Runs `hook` (at most once) when the consumer cancels; runs it at once if already
  // cancelled. Remote backends use it to abort a transfer.
  void on_cancel(std::function<void()> hook);

  std::shared_ptr<detail::GenerationState> state() const { return state_; }

 private:
  std::shared_ptr<detail::GenerationState> state_;
};

// Consumer side, returned by Backend::generate. Dropping it cancels the generation.
class WEFT_EXPORT GenerationStream {
 public:
  explicit GenerationStream(std::shared_ptr<detail::GenerationState> state);
  GenerationStream(GenerationStream&&) noexcept;
  GenerationStream& operator=(GenerationStream&&) noexcept;
  ~GenerationStream();

  // Blocks for the next event; nullopt once the terminal event has been returned.
  std::optional<Event> next();
  // As next(), but gives up after `timeout` (returns nullopt; check finished()).
  std::optional<Event> next_for(std::chrono::milliseconds timeout);
  bool finished() const;

  // Safe from any thread, any time, also concurrently with next(). The stream then ends
  // promptly with DoneEvent{cancelled} unless a terminal event was already queued.
  void cancel();

 private:
  std::shared_ptr<detail::GenerationState> state_;
};

// Collects a whole stream: the concatenated text and the terminal event.
struct WEFT_EXPORT GenerationResult {
  std::string text;
  Event terminal;
};
WEFT_EXPORT GenerationResult collect(GenerationStream& stream);

}  // namespace weft
