// What one forward pass is asked to do and what it gives back.
//
// A batch is a list of rows, each (sequence, token, position), from one or more sequences.
// The rows of one sequence must be in order and continue it: positions length, length+1, …
// Every row is appended to its sequence's KV cache; outputs come back only for the rows
// that ask for them, in batch order.
//
// A row may carry an attention mask: the slots of its sequence it attends to, instead of all
// of 0..position (runtime/paged_attention.hpp). Its keys and values are then computed from
// what it saw.
//
// A row may also carry a probe request (runtime/probes.hpp): top-k log-probabilities, the
// log-probabilities of given tokens, the entropy or the full row, all of its next-token
// logits. Probes need no want_logits; a row that asks only for probes gets no logits row.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/probes.hpp"

namespace weft::kv {
class KvSequence;
}

namespace weft::runtime {

struct ForwardRow {
  kv::KvSequence* sequence = nullptr;
  int32_t token = 0;
  int64_t position = 0;
  bool want_logits = false;  // return the next-token logits of this row
  // Return the final hidden state after the output norm (what embeddings pool); a row asking
  // for it alone skips the output matrix.
  bool want_hidden = false;
  // Probes of this row's next-token logits. Owned by the caller (rows may share one request);
  // it must outlive the forward() call. Null or empty: none.
  const ProbeRequest* probes = nullptr;
  // Empty: the row attends to slots 0..position (causal). Else position + 1 flags, one per
  // slot, nonzero where the row attends; at least one set. Owned by the caller, as probes.
  std::span<const uint8_t> attention_mask = {};
};

struct ForwardOutputs {
  int64_t n_vocab = 0;
  int64_t n_embd = 0;
  std::vector<int64_t> logit_rows;   // batch indices of the rows with logits, in order
  std::vector<float> logits;         // logit_rows.size() × n_vocab
  std::vector<int64_t> hidden_rows;  // batch indices of the rows with hidden states
  std::vector<float> hidden;         // hidden_rows.size() × n_embd
  std::vector<int64_t> probe_rows;   // batch indices of the rows with probes, in order
  std::vector<ProbeResult> probes;   // one result per probe_rows entry

  std::span<const float> logits_at(size_t output_index) const {
    return {logits.data() + output_index * static_cast<size_t>(n_vocab),
            static_cast<size_t>(n_vocab)};
  }
  std::span<const float> hidden_at(size_t output_index) const {
    return {hidden.data() + output_index * static_cast<size_t>(n_embd),
            static_cast<size_t>(n_embd)};
  }
};

}  // namespace weft::runtime
