// The event channel of a generation (include/weft/generation.hpp). It sits below both of its
// producers, runtime/ (the generator and the scheduler) and backend/ (every backend), so that
// neither includes the other to emit events.
#include "sync/mutex.hpp"
#include "weft/generation.hpp"

#include "events/generation_state.hpp"

namespace weft {

GenerationChannel::GenerationChannel(std::string backend_name)
    : state_(std::make_shared<detail::GenerationState>()) {
  state_->backend = std::move(backend_name);
}

void GenerationChannel::set_prompt_tokens(uint32_t count) {
  sync::MutexLock lock(state_->mutex);
  state_->usage.prompt_tokens = count;
}

bool GenerationChannel::token(TokenEvent event) {
  sync::MutexLock lock(state_->mutex);
  if (state_->cancelled) return false;
  if (!state_->push_locked(std::move(event))) return false;
  ++state_->usage.completion_tokens;
  return true;
}

void GenerationChannel::done(DoneEvent event) {
  sync::MutexLock lock(state_->mutex);
  if (event.backend.empty()) event.backend = state_->backend;
  state_->push_locked(std::move(event));
}

void GenerationChannel::error(ErrorCode code, std::string message) {
  sync::MutexLock lock(state_->mutex);
  state_->push_locked(ErrorEvent{code, std::move(message)});
}

bool GenerationChannel::cancelled() const {
  return state_->cancelled.load();
}

void GenerationChannel::on_cancel(std::function<void()> hook) {
  {
    sync::MutexLock lock(state_->mutex);
    if (!state_->cancelled) {
      state_->cancel_hooks.push_back(std::move(hook));
      return;
    }
  }
  hook();
}

GenerationStream::GenerationStream(std::shared_ptr<detail::GenerationState> state)
    : state_(std::move(state)) {}
GenerationStream::GenerationStream(GenerationStream&&) noexcept = default;
GenerationStream& GenerationStream::operator=(GenerationStream&& other) noexcept {
  if (this != &other) {
    if (state_) state_->cancel();
    state_ = std::move(other.state_);
  }
  return *this;
}
GenerationStream::~GenerationStream() {
  if (state_) state_->cancel();
}

std::optional<Event> GenerationStream::next() {
  sync::MutexLock lock(state_->mutex);
  if (state_->terminal_returned) return std::nullopt;
  while (state_->queue.empty()) lock.wait(state_->ready);
  Event event = std::move(state_->queue.front());
  state_->queue.pop_front();
  if (is_terminal(event)) state_->terminal_returned = true;
  return event;
}

std::optional<Event> GenerationStream::next_for(std::chrono::milliseconds timeout) {
  sync::MutexLock lock(state_->mutex);
  if (state_->terminal_returned) return std::nullopt;
  if (!lock.wait_for(state_->ready, timeout,
                     [&]() WEFT_REQUIRES(state_->mutex) { return !state_->queue.empty(); })) {
    return std::nullopt;
  }
  Event event = std::move(state_->queue.front());
  state_->queue.pop_front();
  if (is_terminal(event)) state_->terminal_returned = true;
  return event;
}

bool GenerationStream::finished() const {
  sync::MutexLock lock(state_->mutex);
  return state_->terminal_returned;
}

void GenerationStream::cancel() {
  state_->cancel();
}

GenerationResult collect(GenerationStream& stream) {
  GenerationResult result{{}, DoneEvent{}};
  while (auto event = stream.next()) {
    if (auto* token = std::get_if<TokenEvent>(&*event)) {
      result.text += token->text;
    } else {
      result.terminal = std::move(*event);
    }
  }
  return result;
}

}  // namespace weft
