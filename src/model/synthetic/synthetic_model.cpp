#include "model/synthetic/synthetic_model.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <thread>

#include "model/synthetic/placeholder_vocab.hpp"
#include "sync/mutex.hpp"
#include "tensor/quant_formats.hpp"
#include "weft/error.hpp"

namespace weft::model::synthetic {
namespace {

using tensor::ElementType;

enum class Init { normal, norm_weight };

struct PlannedTensor {
  std::string name;
  TensorRole role;
  uint32_t layer;
  std::vector<uint64_t> shape;  // GGUF order: row length first
  ElementType type;
  Init init;
  float scale;  // standard deviation of the normal part (norm weights: gain·(1 + scale·N))
  uint64_t stream;
  float gain = 1.0f;  // norm weights only
  // Fused matrices (phi3's attn_qkv): rows from here on get `second_scale` instead.
  uint64_t second_scale_row = UINT64_MAX;
  float second_scale = 0.0f;

  float scale_of_row(uint64_t row) const { return row < second_scale_row ? scale : second_scale; }
};

uint64_t mix(uint64_t z) {  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::string layer_name(uint32_t layer, const char* role) {
  return "blk." + std::to_string(layer) + "." + role;
}

// Logits of standard deviation ≈ 3 per position, from the token embedding (tied) or
// output.weight, times the output norm's gain.
constexpr double kLogitDeviation = 3.0;
// How much of the last residual the current token's own embedding may be, relative to the
// spread of the best logit over the vocabulary (√(2 ln vocab) standard deviations): with a
// tied embedding that share becomes a bonus for repeating the current token. Measured with
// tests/model/synthetic_generation_test.cpp (dim 128, 2 layers, 6 seeds × 3 prompts, 32
// greedy tokens): the old fixed scale 3/√dim (a share ≈ 0.3 there) repeats one token up to
// 20 times in a row; 0.1 still gave runs of 5–10 for qwen3 and gemma2; 0.07 keeps every
// architecture at runs of at most 4 and 27+ distinct tokens of 32.
constexpr double kEmbeddingShare = 0.07;

struct EmbeddingScales {
  float token_embedding;   // standard deviation of token_embd values
  float output;            // of output.weight values (untied)
  float output_norm_gain;  // output_norm weights are gain·(1 + 0.1·N(0,1))
};

// Each layer adds about unit-size values per element to the residual (two blocks per layer),
// and the logit of the current token gains √dim · (its embedding's share of the residual) ·
// (its logit deviation). Keeping the embedding's element size at most
// kEmbeddingShare·√(2 ln vocab)·√(2·layers)/√dim keeps that bonus that small a part of the best
// logit's spread whatever the width; deep models keep the plain 3/√dim. Gemma 2 multiplies the
// embedding by √dim on input, so its stored values are √dim times smaller. The output norm's
// gain (tied) or output.weight (untied) then restores logits of deviation kLogitDeviation.
EmbeddingScales embedding_scales(const ModelShape& shape) {
  const double dim = shape.embedding;
  const double spread = std::sqrt(2.0 * std::log(static_cast<double>(shape.vocab)));
  const double residual = std::sqrt(2.0 * shape.layers);
  const double element_size = std::min(kLogitDeviation, kEmbeddingShare * spread * residual) /
                              std::sqrt(dim);  // of the embedding as the residual sees it
  const double stored = shape.scaled_embeddings ? element_size / std::sqrt(dim) : element_size;
  EmbeddingScales scales;
  scales.token_embedding = static_cast<float>(stored);
  scales.output = static_cast<float>(kLogitDeviation / std::sqrt(dim));
  // A row of the normalised residual has norm √dim: logits have deviation gain·stored·√dim.
  scales.output_norm_gain = shape.tied_embeddings
                                ? static_cast<float>(kLogitDeviation / (stored * std::sqrt(dim)))
                                : 1.0f;
  return scales;
}

// An encoder's tensors (bert, nomic-bert), in the order llama.cpp's converter writes them.
// Every sum is LayerNorm-ed, so the input embeddings may have unit size; q and k at twice the
// unit scale, as for decoders, so that attention is far from uniform and a token's state
// depends on the tokens on both sides of it.
std::vector<PlannedTensor> plan_encoder(const ModelShape& shape, const TypeRecipe& recipe,
                                        uint64_t seed) {
  const uint64_t dim = shape.embedding;
  const uint64_t kv_dim = static_cast<uint64_t>(shape.kv_heads) * shape.head_dim();
  const uint64_t q_dim = shape.q_dim();
  const uint64_t ffn = shape.feed_forward;
  const float input_scale = 1.0f / std::sqrt(static_cast<float>(dim));
  std::vector<PlannedTensor> tensors;
  auto add = [&](std::string name, TensorRole role, uint32_t layer, std::vector<uint64_t> dims,
                 Init init, float scale) -> PlannedTensor& {
    const ElementType type = dims.size() == 1
                                 ? ElementType::F32
                                 : choose_type(recipe, role, layer, shape.layers, true, dims[0], 0);
    const uint64_t stream = synthetic_stream(seed, name);
    return tensors.emplace_back(
        PlannedTensor{std::move(name), role, layer, std::move(dims), type, init, scale, stream});
  };
  // A LayerNorm: its weight (gain 1 + 0.1·N) and its bias.
  auto add_layer_norm = [&](const std::string& name, uint32_t layer) {
    add(name + ".weight", TensorRole::norm, layer, {dim}, Init::norm_weight, 0.1f);
    add(name + ".bias", TensorRole::bias, layer, {dim}, Init::normal, 0.1f);
  };
  auto add_bias = [&](const std::string& name, uint32_t layer, uint64_t length) {
    if (shape.qkv_bias) add(name + ".bias", TensorRole::bias, layer, {length}, Init::normal, 0.1f);
  };
  add("token_embd.weight", TensorRole::token_embedding, 0, {dim, shape.vocab}, Init::normal, 1.0f);
  // F32 in every type, as llama-quantize keeps them: llama.cpp adds the token-type row to the
  // embeddings with a plain add, which takes no quantised or F16 operand.
  add("token_types.weight", TensorRole::token_embedding, 0, {dim, 2}, Init::normal, 0.5f).type =
      ElementType::F32;
  if (shape.position_embeddings) {
    add("position_embd.weight", TensorRole::token_embedding, 0, {dim, shape.context}, Init::normal,
        0.5f)
        .type = ElementType::F32;
  }
  add_layer_norm("token_embd_norm", 0);
  const float down_scale = 1.0f / std::sqrt(static_cast<float>(ffn));
  for (uint32_t layer = 0; layer < shape.layers; ++layer) {
    auto name = [layer](const char* role) { return layer_name(layer, role); };
    if (shape.fused) {
      add(name("attn_qkv.weight"), TensorRole::attn_qkv, layer, {dim, q_dim + 2 * kv_dim},
          Init::normal, 2.0f * input_scale);
    } else {
      add(name("attn_q.weight"), TensorRole::attn_q, layer, {dim, q_dim}, Init::normal,
          2.0f * input_scale);
      add_bias(name("attn_q"), layer, q_dim);
      add(name("attn_k.weight"), TensorRole::attn_k, layer, {dim, kv_dim}, Init::normal,
          2.0f * input_scale);
      add_bias(name("attn_k"), layer, kv_dim);
      add(name("attn_v.weight"), TensorRole::attn_v, layer, {dim, kv_dim}, Init::normal,
          input_scale);
      add_bias(name("attn_v"), layer, kv_dim);
    }
    add(name("attn_output.weight"), TensorRole::attn_output, layer, {q_dim, dim}, Init::normal,
        1.0f / std::sqrt(static_cast<float>(q_dim)));
    add_bias(name("attn_output"), layer, dim);
    add_layer_norm(name("attn_output_norm"), layer);
    add(name("ffn_up.weight"), TensorRole::ffn_up, layer, {dim, ffn}, Init::normal, input_scale);
    add_bias(name("ffn_up"), layer, ffn);
    if (shape.gated_feed_forward) {
      add(name("ffn_gate.weight"), TensorRole::ffn_gate, layer, {dim, ffn}, Init::normal,
          input_scale);
    }
    add(name("ffn_down.weight"), TensorRole::ffn_down, layer, {ffn, dim}, Init::normal, down_scale);
    add_bias(name("ffn_down"), layer, dim);
    add_layer_norm(name("layer_output_norm"), layer);
  }
  return tensors;
}

std::vector<PlannedTensor> plan(const ModelShape& shape, const TypeRecipe& recipe, uint64_t seed) {
  if (shape.encoder) return plan_encoder(shape, recipe, seed);
  const uint64_t dim = shape.embedding;
  const uint64_t kv_dim = static_cast<uint64_t>(shape.kv_heads) * shape.head_dim();
  const uint64_t q_dim = shape.q_dim();  // dim unless --head-dim says otherwise
  const uint64_t ffn = shape.feed_forward;
  const float input_scale = 1.0f / std::sqrt(static_cast<float>(dim));
  const float attention_output_scale = 1.0f / std::sqrt(static_cast<float>(q_dim));
  const EmbeddingScales embedding = embedding_scales(shape);
  // Random models drift into repeating one token when attention averages the whole prefix
  // and the tied embedding favours the current token. Sharper attention (q and k twice
  // the unit scale) and a stronger FFN keep greedy continuations varied: measured with
  // `weft eval --greedy 48` on smollm2-135m and qwen2.5-0.5b shapes, 48 distinct tokens of
  // 48, against 6-25 with unit scales.
  const float query_key_scale = 2.0f * input_scale;
  const float down_scale = 2.0f / std::sqrt(static_cast<float>(ffn));
  std::vector<PlannedTensor> tensors;
  auto add = [&](std::string name, TensorRole role, uint32_t layer, std::vector<uint64_t> dims,
                 Init init, float scale) -> PlannedTensor& {
    const ElementType type =
        dims.size() == 1 ? ElementType::F32
                         : choose_type(recipe, role, layer, shape.layers, shape.tied_embeddings,
                                       dims[0], shape.experts, dims.size() > 2 && dims[2] > 1);
    const uint64_t stream = synthetic_stream(seed, name);
    return tensors.emplace_back(
        PlannedTensor{std::move(name), role, layer, std::move(dims), type, init, scale, stream});
  };
  auto add_norm = [&](std::string name, uint32_t layer, uint64_t length) -> PlannedTensor& {
    return add(std::move(name), TensorRole::norm, layer, {length}, Init::norm_weight, 0.1f);
  };
  add("token_embd.weight", TensorRole::token_embedding, 0, {dim, shape.vocab}, Init::normal,
      embedding.token_embedding);
  for (uint32_t layer = 0; layer < shape.layers; ++layer) {
    auto name = [layer](const char* role) { return layer_name(layer, role); };
    add_norm(name("attn_norm.weight"), layer, dim);
    if (shape.fused) {
      // q and k rows, then v rows, each at its own scale.
      auto& qkv = add(name("attn_qkv.weight"), TensorRole::attn_qkv, layer,
                      {dim, q_dim + 2 * kv_dim}, Init::normal, query_key_scale);
      qkv.second_scale_row = q_dim + kv_dim;
      qkv.second_scale = input_scale;
    } else {
      add(name("attn_q.weight"), TensorRole::attn_q, layer, {dim, q_dim}, Init::normal,
          query_key_scale);
      add(name("attn_k.weight"), TensorRole::attn_k, layer, {dim, kv_dim}, Init::normal,
          query_key_scale);
      add(name("attn_v.weight"), TensorRole::attn_v, layer, {dim, kv_dim}, Init::normal,
          input_scale);
    }
    if (shape.qkv_bias) {
      add(name("attn_q.bias"), TensorRole::bias, layer, {q_dim}, Init::normal, 0.1f);
      add(name("attn_k.bias"), TensorRole::bias, layer, {kv_dim}, Init::normal, 0.1f);
      add(name("attn_v.bias"), TensorRole::bias, layer, {kv_dim}, Init::normal, 0.1f);
    }
    if (shape.qk_norm) {
      // The per-head norms undo the q and k scales: their gain restores the same sharpness.
      add_norm(name("attn_q_norm.weight"), layer, shape.head_dim()).gain = 2.0f;
      add_norm(name("attn_k_norm.weight"), layer, shape.head_dim()).gain = 2.0f;
    }
    add(name("attn_output.weight"), TensorRole::attn_output, layer, {q_dim, dim}, Init::normal,
        attention_output_scale);
    if (shape.attention_output_bias)
      add(name("attn_output.bias"), TensorRole::bias, layer, {dim}, Init::normal, 0.1f);
    // Sink logits about as large as the scores, so that they take a visible share.
    if (shape.attention_sinks)
      add(name("attn_sinks.weight"), TensorRole::bias, layer, {shape.heads}, Init::normal, 1.0f);
    if (shape.post_norms) add_norm(name("post_attention_norm.weight"), layer, dim);
    add_norm(name((shape.ffn_norm_name + ".weight").c_str()), layer, dim);
    if (shape.experts > 0) {
      // The router, then each projection of all experts stacked in one 3-D tensor: expert
      // e's rows are the e-th block of rows, as llama.cpp's converter writes them.
      const uint64_t experts = shape.experts;
      const uint64_t expert_ffn = shape.expert_ffn();
      add(name("ffn_gate_inp.weight"), TensorRole::router, layer, {dim, experts}, Init::normal,
          input_scale);
      add(name("ffn_gate_exps.weight"), TensorRole::ffn_gate, layer, {dim, expert_ffn, experts},
          Init::normal, input_scale);
      add(name("ffn_up_exps.weight"), TensorRole::ffn_up, layer, {dim, expert_ffn, experts},
          Init::normal, input_scale);
      add(name("ffn_down_exps.weight"), TensorRole::ffn_down, layer, {expert_ffn, dim, experts},
          Init::normal, 2.0f / std::sqrt(static_cast<float>(expert_ffn)));
      if (shape.expert_biases) {
        // The router's bias as large as its logits, so that it changes which experts run.
        add(name("ffn_gate_inp.bias"), TensorRole::bias, layer, {experts}, Init::normal, 1.0f);
        add(name("ffn_gate_exps.bias"), TensorRole::bias, layer, {expert_ffn, experts},
            Init::normal, 0.1f);
        add(name("ffn_up_exps.bias"), TensorRole::bias, layer, {expert_ffn, experts}, Init::normal,
            0.1f);
        add(name("ffn_down_exps.bias"), TensorRole::bias, layer, {dim, experts}, Init::normal,
            0.1f);
      }
    } else if (shape.fused) {
      // The gate's rows, then the up rows, in one ffn_up.
      add(name("ffn_up.weight"), TensorRole::ffn_up, layer, {dim, 2 * ffn}, Init::normal,
          input_scale);
    } else {
      add(name("ffn_gate.weight"), TensorRole::ffn_gate, layer, {dim, ffn}, Init::normal,
          input_scale);
      add(name("ffn_up.weight"), TensorRole::ffn_up, layer, {dim, ffn}, Init::normal, input_scale);
    }
    if (shape.experts == 0) {
      add(name("ffn_down.weight"), TensorRole::ffn_down, layer, {ffn, dim}, Init::normal,
          down_scale);
    }
    if (shape.post_norms) add_norm(name("post_ffw_norm.weight"), layer, dim);
  }
  add_norm("output_norm.weight", 0, dim).gain = embedding.output_norm_gain;
  if (!shape.tied_embeddings) {
    add("output.weight", TensorRole::output, 0, {dim, shape.vocab}, Init::normal, embedding.output);
  }
  return tensors;
}

// A slice of rows of one tensor: the unit of parallel work.
struct Chunk {
  size_t tensor;
  uint64_t first_row;
  uint64_t rows;
};

std::vector<Chunk> chunks_of(const std::vector<PlannedTensor>& tensors) {
  constexpr uint64_t kValuesPerChunk = 1 << 16;
  std::vector<Chunk> chunks;
  for (size_t t = 0; t < tensors.size(); ++t) {
    const uint64_t row_length = tensors[t].shape[0];
    uint64_t rows = 1;
    for (size_t d = 1; d < tensors[t].shape.size(); ++d) rows *= tensors[t].shape[d];
    const uint64_t per_chunk = std::max<uint64_t>(1, kValuesPerChunk / row_length);
    for (uint64_t first = 0; first < rows; first += per_chunk) {
      chunks.push_back({t, first, std::min(per_chunk, rows - first)});
    }
  }
  return chunks;
}

void fill_chunk(const PlannedTensor& tensor, const Chunk& chunk, std::vector<float>& values,
                std::byte* data) {
  const uint64_t row_length = tensor.shape[0];
  const uint64_t count = chunk.rows * row_length;
  const uint64_t first = chunk.first_row * row_length;
  values.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    const float noise = synthetic_normal(tensor.stream, first + i);
    const float scale = tensor.scale_of_row(chunk.first_row + i / row_length);
    values[i] =
        tensor.init == Init::norm_weight ? tensor.gain * (1.0f + scale * noise) : scale * noise;
  }
  const uint64_t row_bytes = *tensor::bytes_for(tensor.type, row_length);
  tensor::quantize_row(tensor.type, values.data(), data + chunk.first_row * row_bytes,
                       static_cast<int64_t>(count));
}

void generate_all(const std::vector<PlannedTensor>& tensors,
                  std::vector<std::vector<std::byte>>& buffers, unsigned threads) {
  const std::vector<Chunk> chunks = chunks_of(tensors);
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  sync::Mutex failure_mutex;
  auto work = [&] {
    std::vector<float> values;
    try {
      for (size_t c = next++; c < chunks.size(); c = next++) {
        fill_chunk(tensors[chunks[c].tensor], chunks[c], values, buffers[chunks[c].tensor].data());
      }
    } catch (...) {
      sync::MutexLock lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = chunks.size();
    }
  };
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::jthread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  pool.clear();  // joins
  if (failure) std::rethrow_exception(failure);
}

void add_model_metadata(gguf::GgufWriter& writer, const ModelShape& shape, const TypeRecipe& recipe,
                        uint64_t seed) {
  const std::string& arch = shape.architecture;
  writer.set_string("general.architecture", arch);
  writer.set_string("general.name", "weft-mkmodel " + shape.name + " " + recipe.name + " seed " +
                                        std::to_string(seed));
  writer.set_uint32("general.file_type", recipe.file_type);
  if (tensor::traits_of(recipe.base).block_size > 1) {
    writer.set_uint32("general.quantization_version", 2);
  }
  writer.set_uint32(arch + ".vocab_size", shape.vocab);
  writer.set_uint32(arch + ".context_length", shape.context);
  writer.set_uint32(arch + ".embedding_length", shape.embedding);
  writer.set_uint32(arch + ".block_count", shape.layers);
  writer.set_uint32(arch + ".feed_forward_length", shape.feed_forward);
  writer.set_uint32(arch + ".attention.head_count", shape.heads);
  writer.set_uint32(arch + ".attention.head_count_kv", shape.kv_heads);
  if (!shape.position_embeddings) {
    writer.set_uint32(arch + ".rope.dimension_count", shape.head_dim());
    writer.set_float32(arch + ".rope.freq_base", shape.rope_base);
  }
  if (shape.encoder) {
    writer.set_float32(arch + ".attention.layer_norm_epsilon", shape.rms_epsilon);
    writer.set_bool(arch + ".attention.causal", false);
    writer.set_uint32(arch + ".pooling_type", shape.pooling);
  } else {
    writer.set_float32(arch + ".attention.layer_norm_rms_epsilon", shape.rms_epsilon);
  }
  if (shape.yarn_factor > 0) {
    writer.set_string(arch + ".rope.scaling.type", "yarn");
    writer.set_float32(arch + ".rope.scaling.factor", shape.yarn_factor);
    writer.set_uint32(arch + ".rope.scaling.original_context_length", shape.yarn_original_context);
  }
  if (shape.experts > 0) {
    writer.set_uint32(arch + ".expert_count", shape.experts);
    writer.set_uint32(arch + ".expert_used_count", shape.experts_used);
    writer.set_uint32(arch + ".expert_feed_forward_length", shape.expert_ffn());
  }
  if (shape.explicit_head_size() && !shape.soft_capping_keys && !shape.sliding_window_keys) {
    writer.set_uint32(arch + ".attention.key_length", shape.head_dim());
    writer.set_uint32(arch + ".attention.value_length", shape.head_dim());
  }
  if (shape.soft_capping_keys) {  // gemma2
    writer.set_uint32(arch + ".attention.key_length", shape.head_dim());
    writer.set_uint32(arch + ".attention.value_length", shape.head_dim());
    writer.set_float32(arch + ".attn_logit_softcapping", shape.attention_softcap);
    writer.set_float32(arch + ".final_logit_softcapping", shape.final_softcap);
    writer.set_uint32(arch + ".attention.sliding_window", shape.sliding_window);
  } else if (shape.sliding_window_keys) {  // gemma3
    writer.set_uint32(arch + ".attention.key_length", shape.head_dim());
    writer.set_uint32(arch + ".attention.value_length", shape.head_dim());
    if (shape.sliding_window > 0) {
      writer.set_uint32(arch + ".attention.sliding_window", shape.sliding_window);
    }
  }
}

uint32_t token_count(const std::vector<gguf::MetadataEntry>& tokenizer) {
  for (const auto& entry : tokenizer) {
    if (entry.key != "tokenizer.ggml.tokens") continue;
    const auto* tokens = std::get_if<gguf::ArrayValue>(&entry.value.data);
    if (tokens != nullptr && !tokens->elements.empty()) {
      return static_cast<uint32_t>(tokens->elements.size());
    }
  }
  throw Error(ErrorCode::invalid_request,
              "the tokenizer to copy has no tokenizer.ggml.tokens array");
}

}  // namespace

std::vector<gguf::MetadataEntry> tokenizer_metadata_of(const gguf::GgufFile& file) {
  std::vector<gguf::MetadataEntry> entries;
  for (const auto& entry : file.metadata()) {
    if (entry.key.rfind("tokenizer.", 0) == 0) entries.push_back(entry);
  }
  if (entries.empty()) {
    throw Error(ErrorCode::invalid_request, file.path() + ": no tokenizer.* metadata to copy");
  }
  return entries;
}

uint64_t synthetic_stream(uint64_t seed, const std::string& tensor_name) {
  uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a
  for (unsigned char c : tensor_name) hash = (hash ^ c) * 0x100000001b3ull;
  return mix(seed ^ mix(hash));
}

float synthetic_normal(uint64_t key, uint64_t index) {
  const uint64_t bits = mix(key + (index + 1) * 0x9e3779b97f4a7c15ull);
  const auto sum = static_cast<float>((bits & 0xffff) + ((bits >> 16) & 0xffff) +
                                      ((bits >> 32) & 0xffff) + (bits >> 48));
  // Four uniforms on [0, 65535]: mean 131070, standard deviation 65536·√(4/12).
  constexpr float kInverseDeviation = 1.0f / (65536.0f * 0.57735027f);
  return (sum - 131070.0f) * kInverseDeviation;
}

SyntheticModel SyntheticModel::generate(const SyntheticOptions& options) {
  SyntheticModel model;
  model.shape_ = options.shape;
  const bool copied = !options.tokenizer.empty();
  if (copied) model.shape_.vocab = token_count(options.tokenizer);
  validate(model.shape_);
  add_model_metadata(model.writer_, model.shape_, options.recipe, options.seed);
  if (copied) {
    for (const auto& entry : options.tokenizer) model.writer_.set(entry.key, entry.value);
  } else {
    add_placeholder_vocab(model.writer_, model.shape_.vocab);
  }
  // llama.cpp's encoders need the number of token types (BERT's sentences A and B).
  if (model.shape_.encoder) model.writer_.set_uint32("tokenizer.ggml.token_type_count", 2);

  const std::vector<PlannedTensor> tensors = plan(model.shape_, options.recipe, options.seed);
  model.buffers_.reserve(tensors.size());
  for (const auto& tensor : tensors) {
    uint64_t count = 1;
    for (uint64_t d : tensor.shape) count *= d;
    model.parameters_ += count;
    model.buffers_.emplace_back(*tensor::bytes_for(tensor.type, count));
  }
  generate_all(tensors, model.buffers_, options.threads);
  for (size_t t = 0; t < tensors.size(); ++t) {
    model.writer_.add_tensor(
        {tensors[t].name, tensors[t].type, tensors[t].shape, model.buffers_[t]});
  }
  return model;
}

}  // namespace weft::model::synthetic
