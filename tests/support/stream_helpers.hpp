// Reading a generation's events in tests without ever hanging the suite.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "weft/generation.hpp"

namespace weft::test {

struct CollectedEvents {
  std::vector<std::string> tokens;
  std::string text;
  std::optional<Event> terminal;
  int terminal_count = 0;  // must be 1
  bool gave_up = false;    // the liveness bound passed without a terminal event
};

// Reads events until the stream ends. `liveness` only guards against a hang (a bug shows as
// gave_up, never as a slow pass); it is not a speed requirement.
CollectedEvents collect_events(GenerationStream& stream,
                               std::chrono::milliseconds liveness = std::chrono::seconds(20));

// Reads events until one token arrived (true) or the stream ended or gave up (false).
bool wait_for_first_token(GenerationStream& stream, CollectedEvents& into,
                          std::chrono::milliseconds liveness = std::chrono::seconds(20));

const DoneEvent* as_done(const CollectedEvents& events);
const ErrorEvent* as_error(const CollectedEvents& events);

}  // namespace weft::test
