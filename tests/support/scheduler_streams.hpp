// Driving the scheduler in tests: greedy requests and reading back the sampled ids.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/scheduler.hpp"
#include "weft/generation.hpp"

namespace weft::test {

struct CollectedIds {
  std::vector<int32_t> ids;
  Event terminal = DoneEvent{};
};

// Reads the stream to its end: the ids of the token events and the terminal event.
CollectedIds collect_ids(GenerationStream& stream);

// Greedy (temperature 0) generation of at most `max_tokens` tokens after `prompt`.
runtime::SchedulerRequest greedy_request(std::vector<int32_t> prompt, uint32_t max_tokens);

}  // namespace weft::test
