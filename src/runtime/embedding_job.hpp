// One input's embedding as the scheduler runs it: its tokens go in like a prompt (in chunks,
// beside other requests' rows), the rows its pooling reads come back as final hidden states
// (never logits), and the pooled vector goes to the waiting caller through a future. The
// scheduler then drops the job, which frees its sequence's KV pages at once.
#pragma once

#include <cstdint>
#include <future>
#include <span>
#include <string>
#include <vector>

#include "runtime/embedding_pooling.hpp"
#include "weft/events.hpp"

namespace weft::runtime {

class EmbeddingJob {
 public:
  // `tokens` must not be empty; `width` is the model's hidden size. `bidirectional`: an
  // encoder's input, every row depending on every other, so all of it is fed whatever the
  // pooling.
  EmbeddingJob(std::vector<int32_t> tokens, Pooling pooling, int64_t width,
               bool bidirectional = false);

  // The pooled, not normalised, vector; or the weft::Error the job failed with.
  std::future<std::vector<float>> future() { return promise_.get_future(); }

  // Tokens still to be placed in a model call. With causal attention a row's hidden state
  // depends on the rows before it only, so CLS pooling feeds the first token alone.
  std::span<const int32_t> pending_input() const;
  void consume_input(size_t count);
  // The position of the next token fed.
  int64_t position() const { return fed_; }
  // Whether the model call should return the hidden state of the row at `position`.
  bool wants_hidden(int64_t position) const;
  // The hidden state of the row at `position`; the last one the pooling reads completes the
  // job and hands the vector to the future.
  void on_hidden(int64_t position, std::span<const float> hidden);

  bool finished() const { return finished_; }
  // Ends the job with weft::Error(code, message) on its future. Ignored once finished.
  void fail(ErrorCode code, const std::string& message);

 private:
  std::vector<int32_t> tokens_;
  Pooling pooling_;
  size_t to_feed_;
  size_t fed_ = 0;
  PooledVector pooled_;
  std::promise<std::vector<float>> promise_;
  bool finished_ = false;
};

}  // namespace weft::runtime
