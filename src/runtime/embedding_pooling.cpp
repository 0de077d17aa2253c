#include "runtime/embedding_pooling.hpp"

#include <cmath>
#include <string>

#include "gguf/gguf_file.hpp"
#include "model/arch/architecture.hpp"
#include "weft/error.hpp"

namespace weft::runtime {

std::string_view to_string(Pooling pooling) {
  switch (pooling) {
    case Pooling::mean:
      return "mean";
    case Pooling::cls:
      return "cls";
    case Pooling::last:
      return "last";
  }
  return "?";
}

Pooling pooling_of(const gguf::GgufFile& file, std::string_view architecture) {
  const std::string prefix(architecture);
  const std::string causal_key = prefix + ".attention.causal";
  const model::ArchitectureSpec* spec = model::find_architecture(architecture);
  const bool encoder = spec != nullptr && spec->hooks.encoder;
  if (file.get_bool(causal_key) == false && !encoder) {
    throw Error(ErrorCode::invalid_request,
                file.path() + ": " + causal_key +
                    " is false (bidirectional attention), but this engine computes that only "
                    "for the encoder architectures (bert, nomic-bert); it cannot compute this "
                    "model's embeddings");
  }
  const std::string key = prefix + ".pooling_type";
  const auto value = file.get_uint(key);
  if (!value || *value == 0 || *value == 1) return Pooling::mean;
  if (*value == 2) return Pooling::cls;
  if (*value == 3) return Pooling::last;
  if (*value == 4) {
    throw Error(ErrorCode::invalid_request,
                file.path() + ": " + key +
                    " is 4 (rank): a reranking model's scores need a classifier head, which this "
                    "engine does not compute");
  }
  throw Error(ErrorCode::invalid_request, file.path() + ": " + key + " is " +
                                              std::to_string(*value) +
                                              ", not a known pooling (0 none, 1 mean, 2 cls, 3 "
                                              "last, 4 rank)");
}

bool pooling_reads_row(Pooling pooling, int64_t row, int64_t n_rows) {
  switch (pooling) {
    case Pooling::mean:
      return true;
    case Pooling::cls:
      return row == 0;
    case Pooling::last:
      return row == n_rows - 1;
  }
  return false;
}

PooledVector::PooledVector(Pooling pooling, int64_t n_rows, int64_t width)
    : pooling_(pooling),
      n_rows_(n_rows),
      rows_needed_(pooling == Pooling::mean ? n_rows : 1),
      sum_(static_cast<size_t>(width), 0.0) {
  if (n_rows <= 0) throw Error(ErrorCode::internal, "pooling an input of no rows");
}

void PooledVector::add_row(int64_t row, std::span<const float> hidden) {
  if (!pooling_reads_row(pooling_, row, n_rows_)) return;
  if (hidden.size() != sum_.size()) {
    throw Error(ErrorCode::internal, "pooling a hidden state of " + std::to_string(hidden.size()) +
                                         " values into a vector of " + std::to_string(sum_.size()));
  }
  for (size_t i = 0; i < sum_.size(); ++i) sum_[i] += hidden[i];
  ++rows_added_;
}

std::vector<float> PooledVector::result() const {
  if (!complete()) throw Error(ErrorCode::internal, "pooled vector read before its last row");
  const double divisor = static_cast<double>(rows_needed_);
  std::vector<float> out(sum_.size());
  for (size_t i = 0; i < sum_.size(); ++i) out[i] = static_cast<float>(sum_[i] / divisor);
  return out;
}

void l2_normalize(std::span<float> vector) {
  double squares = 0;
  for (float value : vector) squares += static_cast<double>(value) * value;
  if (squares == 0) return;
  const double scale = 1.0 / std::sqrt(squares);
  for (float& value : vector) value = static_cast<float>(value * scale);
}

}  // namespace weft::runtime
