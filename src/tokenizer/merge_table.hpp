// `tokenizer.ggml.merges` as a lookup by token ids: "may these two symbols merge, at which
// rank, and into what?". Byte-level BPE always merges by it; SentencePiece-style BPE does
// when the vocabulary carries merges (a Hugging Face tokenizer.json with byte_fallback).
#pragma once

#include <cstdint>

#include "tokenizer/id_pair_map.hpp"
#include "tokenizer/vocab.hpp"

namespace weft::tokenizer {

struct RankedMerge {
  int32_t rank;  // the merge's line in tokenizer.ggml.merges: lower merges first
  TokenId result;
};

// Throws weft::Error naming the merge when a line is not two pieces separated by a space.
// Merges of pieces the vocabulary lacks are left out: they can never apply. The first line
// of a pair wins, as in Hugging Face's BPE.
IdPairMap<RankedMerge> build_merge_table(const Vocab& vocab);

}  // namespace weft::tokenizer
