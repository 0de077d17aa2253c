#include "runtime/engine.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/encoder_pass.hpp"
#include "runtime/forward_pass.hpp"
#include "weft/error.hpp"

namespace weft::runtime {
namespace {

kv::PagePoolConfig pool_config(const model::ModelConfig& config, const EngineOptions& options) {
  kv::PagePoolConfig pool;
  pool.n_layers = config.n_layer;
  pool.kv_dim = config.kv_dim();
  pool.page_tokens = options.page_tokens;
  pool.type = options.kv_type;
  pool.max_pages = options.kv_pages > 0
                       ? options.kv_pages
                       : (config.context_length + options.page_tokens - 1) / options.page_tokens;
  return pool;
}

bool has_probes(const ForwardRow& row) {
  return row.probes != nullptr && !row.probes->empty();
}

// Runs the probes of the rows that carry them over the logits the pass computed for them, then
// drops the logits of the rows that asked for probes only, so that `outputs` holds exactly what
// the rows asked for. `outputs.logit_rows` lists every row with logits or probes on entry.
void collect_probes(std::span<const ForwardRow> rows, ForwardOutputs& outputs) {
  const auto n_vocab = static_cast<size_t>(outputs.n_vocab);
  std::vector<int64_t> kept_rows;
  for (size_t out = 0; out < outputs.logit_rows.size(); ++out) {
    const int64_t index = outputs.logit_rows[out];
    const auto& row = rows[static_cast<size_t>(index)];
    const auto logits = outputs.logits_at(out);
    if (has_probes(row)) {
      outputs.probe_rows.push_back(index);
      outputs.probes.push_back(run_probes(*row.probes, logits));
    }
    if (row.want_logits) {
      // Earlier rows only move down, so source and destination never overlap.
      std::copy(logits.begin(), logits.end(), outputs.logits.begin() + kept_rows.size() * n_vocab);
      kept_rows.push_back(index);
    }
  }
  outputs.logits.resize(kept_rows.size() * n_vocab);
  outputs.logit_rows = std::move(kept_rows);
}

}  // namespace

Engine::Engine(std::shared_ptr<const model::Model> model, const EngineOptions& options)
    : model_(std::move(model)),
      kernels_(&tensor::kernels_for(options.kernels)),
      threads_(std::make_unique<tensor::ThreadPool>(options.threads)) {
  if (options.page_tokens <= 0) throw Error("KV page size must be positive");
  const int64_t head_dim = model_->config().head_dim;
  if (options.kv_type == tensor::ElementType::Q8_0 && head_dim % 32 != 0) {
    // Attention reads one head at a time, and a q8_0 block must not straddle two heads.
    throw Error("KV cache type q8_0 needs a head size that is a multiple of 32; this model's is " +
                std::to_string(head_dim) + " (use --kv-type f16)");
  }
  pages_ = std::make_unique<kv::PagePool>(pool_config(model_->config(), options));
  pass_ = std::make_unique<ForwardPass>(*model_, *kernels_, *threads_);
  if (model_->config().encoder)
    encoder_ = std::make_unique<EncoderPass>(*model_, *kernels_, *threads_);
}

void Engine::check_encoder_input(std::span<const int32_t> tokens) const {
  const auto& config = model_->config();
  if (!encoder_) {
    throw Error(ErrorCode::invalid_request,
                config.architecture_name +
                    " is not an encoder: its embeddings pool the rows of "
                    "forward()");
  }
  if (tokens.empty()) throw Error(ErrorCode::invalid_request, "an input to encode has no tokens");
  // Position embeddings have a row per trained position only.
  const int64_t limit = std::min(config.context_length, config.trained_context);
  if (static_cast<int64_t>(tokens.size()) > limit) {
    throw Error(ErrorCode::invalid_request, "the input has " + std::to_string(tokens.size()) +
                                                " tokens, more than the context length of " +
                                                std::to_string(limit));
  }
  for (int32_t token : tokens) {
    if (token < 0 || token >= config.n_vocab) {
      throw Error(ErrorCode::invalid_request, "token id " + std::to_string(token) +
                                                  " is outside the vocabulary (0.." +
                                                  std::to_string(config.n_vocab - 1) + ")");
    }
  }
}

std::vector<float> Engine::encode(std::span<const int32_t> tokens) {
  return encode(std::span<const std::span<const int32_t>>(&tokens, 1));
}

std::vector<float> Engine::encode(std::span<const std::span<const int32_t>> inputs) {
  if (inputs.empty()) throw Error(ErrorCode::invalid_request, "no input to encode");
  for (const auto& tokens : inputs) check_encoder_input(tokens);
  return encoder_->run(inputs);
}

Engine::~Engine() = default;

void Engine::forward(std::span<const ForwardRow> rows, ForwardOutputs& outputs) {
  const auto& config = model_->config();
  if (config.encoder) {
    throw Error(ErrorCode::invalid_request,
                config.architecture_name +
                    " is an embedding model: use weft embed / /v1/embeddings (it has no "
                    "next-token logits to generate from)");
  }
  // The next position each sequence expects, advanced as its rows are checked.
  std::unordered_map<kv::KvSequence*, int64_t> next_position;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    const auto where = [i] { return "forward pass row " + std::to_string(i) + ": "; };
    if (row.sequence == nullptr) throw Error(where() + "no sequence");
    if (&row.sequence->pool() != pages_.get())
      throw Error(where() + "the sequence belongs to another engine");
    if (row.token < 0 || row.token >= config.n_vocab) {
      throw Error(where() + "token id " + std::to_string(row.token) +
                  " is outside the vocabulary (0.." + std::to_string(config.n_vocab - 1) + ")");
    }
    auto [entry, inserted] = next_position.try_emplace(row.sequence, row.sequence->length());
    if (row.position != entry->second) {
      throw Error(where() + "position " + std::to_string(row.position) +
                  " does not continue its sequence (expected " + std::to_string(entry->second) +
                  ")");
    }
    if (row.position >= config.context_length) {
      throw Error(where() + "position " + std::to_string(row.position) +
                  " is past the context length " + std::to_string(config.context_length));
    }
    if (!row.attention_mask.empty()) {
      // Causal by construction: a mask covers exactly the slots up to the row's own.
      if (static_cast<int64_t>(row.attention_mask.size()) != row.position + 1) {
        throw Error(where() + "an attention mask of " + std::to_string(row.attention_mask.size()) +
                    " slots for position " + std::to_string(row.position) + " (needs " +
                    std::to_string(row.position + 1) + ")");
      }
      if (std::ranges::none_of(row.attention_mask, [](uint8_t seen) { return seen != 0; }))
        throw Error(where() + "the attention mask hides every slot");
    }
    if (has_probes(row)) {
      for (TokenId id : row.probes->token_ids) {
        if (id < 0 || id >= config.n_vocab) {
          throw Error(where() + "probe token id " + std::to_string(id) +
                      " is outside the vocabulary (0.." + std::to_string(config.n_vocab - 1) + ")");
        }
      }
    }
    ++entry->second;
  }
  outputs.probe_rows.clear();
  outputs.probes.clear();
  const bool any_probes = std::any_of(rows.begin(), rows.end(), has_probes);
  // Rows with probes need their logits computed whether or not they asked for them.
  std::vector<ForwardRow> with_probe_logits;
  if (any_probes) {
    with_probe_logits.assign(rows.begin(), rows.end());
    for (auto& row : with_probe_logits) row.want_logits = row.want_logits || has_probes(row);
  }
  for (const auto& [sequence, end] : next_position) sequence->reserve(end);
  pass_->run(any_probes ? std::span<const ForwardRow>(with_probe_logits) : rows, outputs);
  for (const auto& [sequence, end] : next_position) sequence->set_length(end);
  if (any_probes) collect_probes(rows, outputs);
}

}  // namespace weft::runtime
