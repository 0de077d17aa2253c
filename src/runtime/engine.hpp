// The native engine's core: a model, a KV page pool, a thread pool and the one batched
// forward pass every caller goes through (a single sequence is a batch of one).
//
//   auto model = model::Model::load(path, {.context_length = 512});
//   runtime::Engine engine(model, {.threads = 2});
//   auto sequence = engine.new_sequence();
//   std::vector<runtime::ForwardRow> rows = ...;  // (sequence, token, position, want_logits,
//                                                 //  want_hidden, probes)
//   runtime::ForwardOutputs outputs;
//   engine.forward(rows, outputs);
//
// Not thread-safe: one caller (the scheduler) drives it; the work inside a pass is split
// over the thread pool.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kv/kv_sequence.hpp"
#include "kv/page_pool.hpp"
#include "model/model.hpp"
#include "runtime/forward_batch.hpp"
#include "tensor/kernels.hpp"
#include "tensor/threads/thread_pool.hpp"

namespace weft::runtime {

struct EngineOptions {
  unsigned threads = 0;  // 0: hardware concurrency
  tensor::KernelChoice kernels = tensor::KernelChoice::fast;
  tensor::ElementType kv_type = tensor::ElementType::F16;
  int64_t page_tokens = 16;
  // Pages in the pool; 0 gives room for one sequence of the model's full context length.
  int64_t kv_pages = 0;
};

class ForwardPass;
class EncoderPass;

class Engine {
 public:
  Engine(std::shared_ptr<const model::Model> model, const EngineOptions& options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const model::Model& model() const { return *model_; }
  const model::ModelConfig& config() const { return model_->config(); }
  kv::PagePool& pages() { return *pages_; }
  const tensor::Kernels& kernels() const { return *kernels_; }
  tensor::ThreadPool& threads() { return *threads_; }

  // An empty sequence whose pages come from this engine's pool. It must not outlive the engine.
  kv::KvSequence new_sequence() { return kv::KvSequence(*pages_); }

  // Runs the rows and fills `outputs` (logits, hidden states and probe results of the rows that
  // ask). Throws weft::Error (before touching any cache) for a token or a probed token id out of
  // the vocabulary, a position that does not continue its sequence, or a sequence that would
  // pass the context length; throws when the page pool runs out.
  // Throws weft::Error(invalid_request) for an encoder model (ModelConfig::encoder), which
  // has no next-token logits.
  void forward(std::span<const ForwardRow> rows, ForwardOutputs& outputs);

  // An encoder model's last-layer states of one whole input (tokens.size() × n_embd), every
  // token attending to every other; no KV page is used. Throws weft::Error(invalid_request)
  // for a decoder model, no tokens, a token id out of the vocabulary, or more tokens than the
  // context length.
  std::vector<float> encode(std::span<const int32_t> tokens);
  // Several whole inputs in one call (their rows share every weight product; each attends
  // within itself): their states one input after another, as encode() gives each. Checks
  // every input as encode() does before computing any.
  std::vector<float> encode(std::span<const std::span<const int32_t>> inputs);
  // Throws what encode() would for this input, without computing it.
  void check_encoder_input(std::span<const int32_t> tokens) const;

 private:
  std::shared_ptr<const model::Model> model_;
  const tensor::Kernels* kernels_;
  std::unique_ptr<tensor::ThreadPool> threads_;
  std::unique_ptr<kv::PagePool> pages_;
  std::unique_ptr<ForwardPass> pass_;
  std::unique_ptr<EncoderPass> encoder_;  // encoder models only
};

}  // namespace weft::runtime
