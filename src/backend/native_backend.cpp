#include "backend/native_backend.hpp"

#include "runtime/shared_contexts.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <future>
#include <map>
#include <string>
#include <vector>

#include "backend/native_prompt.hpp"
#include "gguf/gguf_file.hpp"
#include "model/model.hpp"
#include "model/packed_weight_cache.hpp"
#include "runtime/embedding_pooling.hpp"
#include "runtime/same_vocabulary.hpp"
#include "weft/error.hpp"

namespace weft::backend {
namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string quantization_of(const gguf::GgufFile& file) {
  std::map<std::string, uint64_t> elements_by_type;
  for (const auto& tensor : file.tensors()) {
    if (tensor.shape.size() < 2) continue;
    elements_by_type[upper(tensor::traits_of(tensor.type).name)] += tensor.element_count();
  }
  std::vector<std::pair<std::string, uint64_t>> types(elements_by_type.begin(),
                                                      elements_by_type.end());
  std::stable_sort(types.begin(), types.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [name, count] : types) {
    if (!out.empty()) out += '+';
    out += name;
  }
  return out;
}

ModelInfo describe_model(const model::Model& model, const std::string& path) {
  const auto& file = model.file();
  ModelInfo info;
  info.name = file.get_string("general.name").value_or(std::filesystem::path(path).stem().string());
  info.architecture = model.config().architecture_name;
  for (const auto& tensor : file.tensors()) info.parameter_count += tensor.element_count();
  info.quantization = quantization_of(file);
  info.context_length = static_cast<uint32_t>(model.config().context_length);
  info.vocabulary_size = static_cast<uint32_t>(model.config().n_vocab);
  info.has_chat_template = file.has("tokenizer.chat_template");
  return info;
}

NativeBackend::NativeBackend(NativeConfig config) : config_(std::move(config)) {}

NativeBackend::~NativeBackend() {
  unload();
}

// The engine is compiled in, so the backend can always serve once given a model; selection
// asks a fresh instance, before load.
Availability NativeBackend::available() const {
  return {true, {}};
}

std::unique_ptr<runtime::Engine> load_draft_engine(const std::string& draft_path,
                                                   const std::string& target_path,
                                                   const tokenizer::Tokenizer& target_vocabulary,
                                                   const model::ModelLoadOptions& load,
                                                   const runtime::EngineOptions& engine) {
  // The vocabulary first, from the file's metadata: another one is refused before any weight
  // is read (and before a file with no weights says it lacks them).
  {
    const auto file = gguf::GgufFile::open(draft_path);
    const auto draft_tokenizer = tokenizer::Tokenizer::from_gguf(*file);
    runtime::require_same_vocabulary(target_vocabulary, target_path, *draft_tokenizer, draft_path);
  }
  auto draft = model::Model::load(draft_path, load);
  if (draft->config().n_vocab < target_vocabulary.vocab_size()) {
    throw Error(ErrorCode::invalid_request, draft_path + ": the vocabulary has " +
                                                std::to_string(target_vocabulary.vocab_size()) +
                                                " tokens but the output has only " +
                                                std::to_string(draft->config().n_vocab) + " rows");
  }
  if (draft->config().encoder) {
    throw Error(ErrorCode::invalid_request,
                draft_path + " is an embedding model: it cannot draft tokens");
  }
  return std::make_unique<runtime::Engine>(std::move(draft), engine);
}

int64_t draft_pool_pages(int64_t target_pages, uint32_t streams, uint32_t draft_tokens,
                         int64_t page_tokens) {
  return target_pages +
         static_cast<int64_t>(streams) * ((draft_tokens + page_tokens - 1) / page_tokens + 1);
}

void NativeBackend::load(const LoadOptions& options) {
  if (options.model_path.empty()) {
    throw Error(ErrorCode::invalid_request,
                "the native backend needs a GGUF model file (--model FILE)");
  }
  unload();
  model::ModelLoadOptions model_options;
  if (options.context_length) model_options.context_length = *options.context_length;
  model_options.progress = options.progress;
  model_options.packing_threads = options.threads;  // the threads the engine will compute on
  model_options.packed_cache_directory = model::default_packed_cache_directory();
  auto model = model::Model::load(options.model_path, model_options);
  if (options.progress) options.progress({"reading the tokenizer"});
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer =
      tokenizer::Tokenizer::from_gguf(model->file());
  if (tokenizer->vocab_size() > model->config().n_vocab) {
    throw Error(ErrorCode::invalid_request, options.model_path + ": the vocabulary has " +
                                                std::to_string(tokenizer->vocab_size()) +
                                                " tokens but the output has only " +
                                                std::to_string(model->config().n_vocab) + " rows");
  }
  runtime::EngineOptions engine_options;
  engine_options.threads = options.threads;
  engine_options.kernels = config_.kernels;
  engine_options.kv_type = config_.kv_type;
  const int64_t context_pages = (model->config().context_length + engine_options.page_tokens - 1) /
                                engine_options.page_tokens;
  engine_options.kv_pages = context_pages * std::max<uint32_t>(1, config_.kv_contexts);
  auto engine = std::make_unique<runtime::Engine>(model, engine_options);
  info_ = describe_model(*model, options.model_path);
  prompt_format_ = options.chat_template_path.empty()
                       ? NativePromptFormat::from_gguf(model->file(), *tokenizer)
                       : NativePromptFormat::from_template_file(model->file(), *tokenizer,
                                                                options.chat_template_path);
  runtime::SchedulerOptions scheduler_options = config_.scheduler;
  std::unique_ptr<runtime::Engine> draft_engine;
  if (!config_.draft_model.empty()) {
    if (options.progress) options.progress({"loading the draft model"});
    // The draft follows the target's context override: positions past its own are not drafted.
    model::ModelLoadOptions draft_load = model_options;
    draft_load.progress = nullptr;
    runtime::EngineOptions draft_engine_options = engine_options;
    draft_engine_options.kv_pages =
        draft_pool_pages(engine_options.kv_pages, scheduler_options.max_sequences,
                         config_.speculation.draft_tokens, engine_options.page_tokens);
    draft_engine = load_draft_engine(config_.draft_model, options.model_path, *tokenizer,
                                     draft_load, draft_engine_options);
  }
  if (options.progress) options.progress({"starting the engine"});
  scheduler_options.prefix_cache = scheduler_options.prefix_cache && options.prefix_cache;
  scheduler_ = std::make_shared<runtime::Scheduler>(std::move(engine), tokenizer, scheduler_options,
                                                    std::move(draft_engine));
  chat_template_path_ = options.chat_template_path;
  prompt_limit_ = runtime::PromptLimit::for_context(*tokenizer, model->config().context_length);
  model_ = std::move(model);
  tokenizer_ = std::move(tokenizer);
}

size_t NativeBackend::prompt_tokens(const GenerationRequest& request) const {
  if (!prompt_format_ || !tokenizer_)
    throw Error(ErrorCode::backend_unavailable, "the native backend has no model loaded");
  try {
    return prompt_format_->tokens(*tokenizer_, request, prompt_limit_).size();
  } catch (const runtime::PromptTooLong&) {
    // Counted no further than the context: one more than it holds says enough.
    return static_cast<size_t>(prompt_limit_.context_length) + 1;
  }
}

std::vector<tokenizer::TokenId> NativeBackend::prompt_token_ids(
    const GenerationRequest& request) const {
  if (!prompt_format_ || !tokenizer_)
    throw Error(ErrorCode::backend_unavailable, "the native backend has no model loaded");
  return prompt_format_->tokens(*tokenizer_, request, prompt_limit_);
}

void NativeBackend::unload() {
  // Contexts keep the scheduler alive until their holders release them.
  contexts_.reset();
  scheduler_.reset();  // ends running generations with an error and joins the engine thread
  prompt_format_.reset();
  tokenizer_.reset();
  model_.reset();
}

std::shared_ptr<ContextRuntime> NativeBackend::context_runtime() {
  if (!scheduler_) {
    throw Error(ErrorCode::backend_unavailable, "the native backend has no model loaded");
  }
  if (!contexts_) contexts_ = runtime::context_runtime_on(scheduler_, chat_template_path_);
  return contexts_;
}

ModelInfo NativeBackend::model_info() const {
  return info_;
}

GenerationStream NativeBackend::generate(const GenerationRequest& request) {
  if (!scheduler_) {
    GenerationChannel channel(name());
    GenerationStream stream(channel.state());
    channel.error(ErrorCode::backend_unavailable, "the native backend has no model loaded");
    return stream;
  }
  runtime::SchedulerRequest scheduled;
  // Before the prompt format, whose own complaints (an encoder has no chat template) would
  // hide the reason; the scheduler refuses the same way.
  if (model_->config().encoder) return scheduler_->submit(std::move(scheduled));
  try {
    scheduled.prompt = prompt_format_->tokens(*tokenizer_, request, prompt_limit_);
  } catch (const Error& error) {
    GenerationChannel channel(name());
    GenerationStream stream(channel.state());
    channel.error(error.code(), error.what());
    return stream;
  }
  scheduled.options = request.options;
  scheduled.speculation = config_.speculation;
  return scheduler_->submit(std::move(scheduled));
}

EmbeddingResult NativeBackend::embed(const EmbeddingRequest& request) {
  if (!scheduler_) {
    throw Error(ErrorCode::backend_unavailable, "the native backend has no model loaded");
  }
  if (request.inputs.empty()) {
    throw Error(ErrorCode::invalid_request, "an embedding request needs at least one input");
  }
  const auto pooling = runtime::pooling_of(model_->file(), model_->config().architecture_name);
  const tokenizer::EncodeOptions plain_text{.add_bos = tokenizer_->add_bos_by_default(),
                                            .parse_special = false,
                                            .add_eos = tokenizer_->add_eos_by_default()};
  const int64_t context_length = model_->config().context_length;
  // Every input is checked before any runs, so a bad one costs the others nothing.
  std::vector<std::vector<tokenizer::TokenId>> inputs;
  EmbeddingResult result;
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    const std::string where = "embedding input " + std::to_string(i);
    if (request.inputs[i].empty()) throw Error(ErrorCode::invalid_request, where + " is empty");
    auto tokens = tokenizer_->encode(request.inputs[i], plain_text);
    if (tokens.empty()) throw Error(ErrorCode::invalid_request, where + " gives no tokens");
    if (static_cast<int64_t>(tokens.size()) > context_length) {
      throw Error(ErrorCode::invalid_request, where + " has " + std::to_string(tokens.size()) +
                                                  " tokens, more than the context length of " +
                                                  std::to_string(context_length));
    }
    result.prompt_tokens += static_cast<uint32_t>(tokens.size());
    inputs.push_back(std::move(tokens));
  }
  // All submitted before any is awaited, so that they share model calls.
  std::vector<std::future<std::vector<float>>> pending;
  pending.reserve(inputs.size());
  for (auto& tokens : inputs) pending.push_back(scheduler_->embed(std::move(tokens), pooling));
  for (size_t i = 0; i < pending.size(); ++i) {
    try {
      result.vectors.push_back(pending[i].get());
    } catch (const Error& error) {
      throw Error(error.code(), "embedding input " + std::to_string(i) + ": " + error.what());
    }
    if (request.normalize) runtime::l2_normalize(result.vectors.back());
  }
  return result;
}

}  // namespace weft::backend
