#include "backend/native_prompt.hpp"

#include <string>

#include "weft/error.hpp"

namespace weft::backend {

std::vector<tokenizer::TokenId> native_prompt_tokens(const tokenizer::Tokenizer& tokenizer,
                                                     const GenerationRequest& request) {
  if (request.messages.empty()) {
    throw Error(ErrorCode::invalid_request, "the request has no messages: nothing to continue");
  }
  std::string text;
  if (request.raw_prompt) {
    text = request.messages.front().content;
  } else {
    bool first = true;
    for (const auto& message : request.messages) {
      if (message.role != Role::user) continue;
      if (!first) text += '\n';
      text += message.content;
      first = false;
    }
  }
  return tokenizer.encode(text, {.add_bos = tokenizer.add_bos_by_default()});
}

}  // namespace weft::backend
