#include "runtime/engine.hpp"

#include <string>
#include <unordered_map>

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

}  // namespace

Engine::Engine(std::shared_ptr<const model::Model> model, const EngineOptions& options)
    : model_(std::move(model)),
      kernels_(&tensor::kernels_for(options.kernels)),
      threads_(std::make_unique<tensor::ThreadPool>(options.threads)) {
  if (options.page_tokens <= 0) throw Error("KV page size must be positive");
  pages_ = std::make_unique<kv::PagePool>(pool_config(model_->config(), options));
  pass_ = std::make_unique<ForwardPass>(*model_, *kernels_, *threads_);
}

Engine::~Engine() = default;

void Engine::forward(std::span<const ForwardRow> rows, ForwardOutputs& outputs) {
  const auto& config = model_->config();
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
    ++entry->second;
  }
  for (const auto& [sequence, end] : next_position) sequence->reserve(end);
  pass_->run(rows, outputs);
  for (const auto& [sequence, end] : next_position) sequence->set_length(end);
}

}  // namespace weft::runtime
