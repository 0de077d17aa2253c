// A generated SentencePiece-style (tokenizer.ggml.model = "llama") vocabulary of any size,
// for synthetic models without a real tokenizer.
//
// Ids 0..2 are <unk>, <s>, </s>; ids 3..258 the byte-fallback tokens <0x00>..<0xFF>; then
// pieces over a small alphabet ("▁" and common letters first), shortest first, so every
// piece can be built by merging two shorter ones and any text tokenizes (bytes otherwise).
#pragma once

#include <cstdint>

#include "gguf/gguf_writer.hpp"

namespace weft::model::synthetic {

// Writes tokenizer.ggml.{model,tokens,scores,token_type,bos_token_id,eos_token_id,
// unknown_token_id,add_bos_token,add_eos_token}. vocab ≥ 259.
void add_placeholder_vocab(gguf::GgufWriter& writer, uint32_t vocab);

}  // namespace weft::model::synthetic
