// Turns a GenerationRequest into the prompt token ids the native engine continues.
#pragma once

#include <vector>

#include "tokenizer/tokenizer.hpp"
#include "weft/types.hpp"

namespace weft::backend {

// raw_prompt: messages[0].content as it is. Otherwise the user messages' contents joined by
// newlines (plain completion until chat templates are wired in). BOS follows the
// vocabulary's rule; text is never parsed for special tokens, so a user typing a control
// token's text gets ordinary text tokens. Throws weft::Error(invalid_request) when there are
// no messages.
std::vector<tokenizer::TokenId> native_prompt_tokens(const tokenizer::Tokenizer& tokenizer,
                                                     const GenerationRequest& request);

}  // namespace weft::backend
