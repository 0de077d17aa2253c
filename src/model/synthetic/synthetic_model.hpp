// Deterministic random-weight GGUF models (`weft mkmodel`): realistic shapes for benchmarks
// without shipping large files. The files use llama.cpp's tensor names and metadata keys,
// so llama.cpp loads them too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "model/synthetic/model_shape.hpp"
#include "model/synthetic/type_recipe.hpp"

namespace weft::model::synthetic {

struct SyntheticOptions {
  ModelShape shape;
  TypeRecipe recipe;
  uint64_t seed = 1;
  unsigned threads = 0;  // 0: one per hardware thread
  // tokenizer.* metadata to write (from a GGUF, or imported from a tokenizer.json); the
  // vocabulary size then follows its token count. Empty: a generated placeholder
  // vocabulary of shape.vocab tokens.
  std::vector<gguf::MetadataEntry> tokenizer;
};

// The weights are values of a counter-based generator keyed by (seed, tensor name, index),
// so the bytes do not depend on the thread count. Scales (standard deviations): attn_v,
// attn_output, ffn_gate/up 1/√dim; attn_q/k 2/√dim; ffn_down 2/√ffn; token embedding
// min(3, 0.07·√(2 ln vocab)·√(2·layers))/√dim (÷√dim again for gemma2), with the output norm's
// gain (tied) or output.weight 3/√dim (untied) giving logits of std ≈ 3; norm weights
// 1 + 0.1·N(0,1) (qwen3's q/k norms times 2); biases 0.1·N(0,1). docs/mkmodel.md has why.
class SyntheticModel {
 public:
  static SyntheticModel generate(const SyntheticOptions& options);
  // The writer refers to this object's buffers: moving keeps them, copying would not.
  SyntheticModel(SyntheticModel&&) = default;
  SyntheticModel& operator=(SyntheticModel&&) = default;
  SyntheticModel(const SyntheticModel&) = delete;
  SyntheticModel& operator=(const SyntheticModel&) = delete;

  const gguf::GgufWriter& writer() const { return writer_; }
  const ModelShape& shape() const { return shape_; }  // vocab follows the tokenizer
  uint64_t parameter_count() const { return parameters_; }
  void write(const std::string& path) const { writer_.write(path); }

 private:
  SyntheticModel() = default;

  ModelShape shape_;
  uint64_t parameters_ = 0;
  std::vector<std::vector<std::byte>> buffers_;  // tensor data the writer refers to
  gguf::GgufWriter writer_;
};

// Gaussian-like value (mean 0, variance 1, Irwin–Hall of 4 uniforms) number `index` of the
// stream `key`.
float synthetic_normal(uint64_t key, uint64_t index);
// Every tokenizer.* entry of a GGUF (vocabulary, merges, special ids, chat template).
std::vector<gguf::MetadataEntry> tokenizer_metadata_of(const gguf::GgufFile& file);

// The stream key of a tensor.
uint64_t synthetic_stream(uint64_t seed, const std::string& tensor_name);

}  // namespace weft::model::synthetic
