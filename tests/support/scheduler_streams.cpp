#include "support/scheduler_streams.hpp"

#include <utility>

namespace weft::test {

CollectedIds collect_ids(GenerationStream& stream) {
  CollectedIds out;
  while (auto event = stream.next()) {
    if (auto* token = std::get_if<TokenEvent>(&*event)) {
      if (token->token_id) out.ids.push_back(*token->token_id);
    } else {
      out.terminal = *event;
    }
  }
  return out;
}

runtime::SchedulerRequest greedy_request(std::vector<int32_t> prompt, uint32_t max_tokens) {
  runtime::SchedulerRequest request;
  request.prompt = std::move(prompt);
  request.options.max_tokens = max_tokens;
  request.options.temperature = 0.0f;
  return request;
}

}  // namespace weft::test
