#include "support/stream_helpers.hpp"

namespace weft::test {
namespace {

void take(CollectedEvents& into, Event event) {
  if (auto* token = std::get_if<TokenEvent>(&event)) {
    into.tokens.push_back(token->text);
    into.text += token->text;
    return;
  }
  ++into.terminal_count;
  if (!into.terminal) into.terminal = std::move(event);
}

}  // namespace

CollectedEvents collect_events(GenerationStream& stream, std::chrono::milliseconds liveness) {
  CollectedEvents events;
  auto deadline = std::chrono::steady_clock::now() + liveness;
  while (!stream.finished()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      events.gave_up = true;
      break;
    }
    if (auto event = stream.next_for(left)) take(events, std::move(*event));
  }
  // After the terminal event the stream must be exhausted; anything more counts against it.
  if (auto extra = stream.next()) take(events, std::move(*extra));
  return events;
}

bool wait_for_first_token(GenerationStream& stream, CollectedEvents& into,
                          std::chrono::milliseconds liveness) {
  auto deadline = std::chrono::steady_clock::now() + liveness;
  while (!stream.finished()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      into.gave_up = true;
      return false;
    }
    auto event = stream.next_for(left);
    if (!event) continue;
    bool is_token = std::holds_alternative<TokenEvent>(*event);
    take(into, std::move(*event));
    if (is_token) return true;
  }
  return false;
}

const DoneEvent* as_done(const CollectedEvents& events) {
  return events.terminal ? std::get_if<DoneEvent>(&*events.terminal) : nullptr;
}

const ErrorEvent* as_error(const CollectedEvents& events) {
  return events.terminal ? std::get_if<ErrorEvent>(&*events.terminal) : nullptr;
}

}  // namespace weft::test
