// How an embedding is made from the final hidden states of one input's rows
// (docs/embeddings.md): the pooling a model asks for in its GGUF metadata, and L2
// normalisation.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace weft::gguf {
class GgufFile;
}

namespace weft::runtime {

// The values of llama.cpp's `<arch>.pooling_type` key: 0 none, 1 mean, 2 cls, 3 last, 4 rank.
// "none" (one vector per token) has no single-vector form, so it pools by mean as a decoder
// model without the key does; "rank" needs a classifier head this engine does not load.
enum class Pooling { mean, cls, last };

std::string_view to_string(Pooling pooling);

// The pooling `<architecture>.pooling_type` asks for: mean when the key is absent or 0.
// Throws weft::Error(invalid_request) naming the key for rank (4), an unknown value, or a
// decoder whose `<architecture>.attention.causal` is false (the decoder pass attends causally
// only, so such a model's vectors would be wrong; the encoders, bert and nomic-bert, attend
// bidirectionally).
Pooling pooling_of(const gguf::GgufFile& file, std::string_view architecture);

// Which rows of an input of `n_rows` tokens the pooling reads.
bool pooling_reads_row(Pooling pooling, int64_t row, int64_t n_rows);

// Folds the hidden states of one input, row by row in order, into its embedding. Mean sums in
// double precision.
class PooledVector {
 public:
  PooledVector(Pooling pooling, int64_t n_rows, int64_t width);

  // The hidden state of row `row` (only the rows pooling_reads_row selects are needed).
  void add_row(int64_t row, std::span<const float> hidden);
  // Whether every row the pooling reads has been added.
  bool complete() const { return rows_added_ == rows_needed_; }
  std::vector<float> result() const;

 private:
  Pooling pooling_;
  int64_t n_rows_;
  int64_t rows_needed_;
  int64_t rows_added_ = 0;
  std::vector<double> sum_;
};

// Scales `vector` to Euclidean length 1 (the norm computed in double); an all-zero vector is
// left as it is.
void l2_normalize(std::span<float> vector);

}  // namespace weft::runtime
