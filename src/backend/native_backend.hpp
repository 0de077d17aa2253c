// The `native` backend: this project's engine behind the backend interface. load() maps the
// GGUF file, builds its tokenizer and an Engine, and starts the Scheduler that owns them;
// every generate() is a request to that scheduler, so concurrent generations share each
// model call (continuous batching).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "backend/native_prompt.hpp"
#include "model/model_config.hpp"
#include "runtime/engine.hpp"
#include "runtime/scheduler.hpp"
#include "weft/backend.hpp"
#include "weft/context.hpp"

namespace weft::gguf {
class GgufFile;
}
namespace weft::model {
class Model;
}

namespace weft::backend {

struct NativeConfig {
  runtime::SchedulerOptions scheduler;
  tensor::KernelChoice kernels = tensor::KernelChoice::fast;
  tensor::ElementType kv_type = tensor::ElementType::F16;
  // The KV pool holds this many full contexts' worth of pages (allocated only when used), so
  // that several requests can run at once; a request is admitted when its worst case fits.
  uint32_t kv_contexts = 4;
  // Speculative decoding for every generation: prompt lookup (`weft serve --lookup`) or,
  // with draft_model set, drafts from that model (`weft serve --draft MODEL`).
  runtime::LookupSpeculation speculation;
  // A GGUF file with the target's vocabulary whose drafts the target verifies; load() refuses
  // another vocabulary. Its passes run batched over the drafting streams (runtime/scheduler.hpp).
  std::string draft_model;
};

class NativeBackend : public Backend {
 public:
  explicit NativeBackend(NativeConfig config = {});
  ~NativeBackend() override;

  std::string name() const override { return "native"; }
  // Always true: the engine is built in. load() says what is wrong with a model (or its absence).
  Availability available() const override;
  void load(const LoadOptions& options) override;
  void unload() override;
  ModelInfo model_info() const override;
  GenerationStream generate(const GenerationRequest& request) override;
  // Each input tokenised as plain text (BOS and EOS as the vocabulary asks, no special-token
  // parsing), run through the scheduler beside the generations, pooled as the model's
  // `<arch>.pooling_type` says (docs/embeddings.md). Throws weft::Error: invalid_request
  // naming the input for an empty one or one longer than the context,
  // backend_unavailable without a model.
  EmbeddingResult embed(const EmbeddingRequest& request) override;

  // The number of tokens `request` becomes as a prompt (chat template and all), so that a
  // caller can fit a conversation to the context before sending it; a prompt longer than the
  // context counts as one token more than the context, after work bounded by it. Throws
  // weft::Error as generate() would report the request (no model, a template error).
  size_t prompt_tokens(const GenerationRequest& request) const;
  // The token ids generate() would prompt the model with for `request`, for callers that
  // generate on context_runtime() themselves. Throws weft::Error as generate() would report
  // the request (no model, a template error, a prompt longer than the context).
  std::vector<tokenizer::TokenId> prompt_token_ids(const GenerationRequest& request) const;

  // The running scheduler (pool accounting, sync), or nullptr before load.
  runtime::Scheduler* scheduler() { return scheduler_.get(); }
  // Contexts (weft/context.hpp) on this backend's scheduler: they share its model, KV pool,
  // prefix cache and model calls, and their pages count at its admission. Made on first use
  // and kept (with its snapshots) until unload(), which waits for no context: their holders
  // keep the scheduler alive until they release them. Throws weft::Error
  // (backend_unavailable) before load.
  std::shared_ptr<ContextRuntime> context_runtime();
  const tokenizer::Tokenizer* tokenizer() const { return tokenizer_.get(); }
  // The chat template in use ("" for plain completion or before load): the HTTP APIs pick
  // the tool-call syntax to parse from it.
  std::string chat_template_source() const {
    return prompt_format_ ? prompt_format_->template_source() : "";
  }

 private:
  NativeConfig config_;
  std::shared_ptr<const model::Model> model_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  std::shared_ptr<runtime::Scheduler> scheduler_;
  std::shared_ptr<ContextRuntime> contexts_;
  std::string chat_template_path_;
  std::optional<NativePromptFormat> prompt_format_;
  runtime::PromptLimit prompt_limit_;  // prompts refused before tokenising
  ModelInfo info_;
};

// A draft model's engine for a scheduler (runtime/scheduler.hpp) whose target is the GGUF file
// `target_path` with the tokenizer `target_vocabulary`. Throws weft::Error(invalid_request)
// naming both files when the draft's vocabulary differs, or when its output cannot cover it.
std::unique_ptr<runtime::Engine> load_draft_engine(const std::string& draft_path,
                                                   const std::string& target_path,
                                                   const tokenizer::Tokenizer& target_vocabulary,
                                                   const model::ModelLoadOptions& load,
                                                   const runtime::EngineOptions& engine);

// Pages for a draft engine's pool: as many as the target's pool (a stream's draft sequence
// holds its settled tokens) and room for `streams` streams' drafts past them. A stream that
// finds no page free drafts nothing in that step.
int64_t draft_pool_pages(int64_t target_pages, uint32_t streams, uint32_t draft_tokens,
                         int64_t page_tokens);

// The weight matrices' types by share of parameters: "Q8_0" for a uniform file, e.g.
// "Q4_K+Q6_K" for a mixed one (most parameters first). Vectors (norms, biases) are left out:
// they stay F32 in every quantised file.
std::string quantization_of(const gguf::GgufFile& file);

// Facts about a loaded model for ModelInfo: the quantisation is read from the tensors' own
// types (general.file_type describes what was requested, not what is stored).
ModelInfo describe_model(const model::Model& model, const std::string& path);

}  // namespace weft::backend
