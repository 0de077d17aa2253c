#include "runtime/embedding_job.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "weft/error.hpp"

namespace weft::runtime {

EmbeddingJob::EmbeddingJob(std::vector<int32_t> tokens, Pooling pooling, int64_t width,
                           bool bidirectional)
    : tokens_(std::move(tokens)),
      pooling_(pooling),
      to_feed_(pooling == Pooling::cls && !bidirectional ? std::min<size_t>(1, tokens_.size())
                                                         : tokens_.size()),
      pooled_(pooling, static_cast<int64_t>(tokens_.size()), width) {}

std::span<const int32_t> EmbeddingJob::pending_input() const {
  if (finished_) return {};
  return std::span<const int32_t>(tokens_).subspan(fed_, to_feed_ - fed_);
}

void EmbeddingJob::consume_input(size_t count) {
  fed_ += std::min(count, to_feed_ - fed_);
}

bool EmbeddingJob::wants_hidden(int64_t position) const {
  return pooling_reads_row(pooling_, position, static_cast<int64_t>(tokens_.size()));
}

void EmbeddingJob::on_hidden(int64_t position, std::span<const float> hidden) {
  if (finished_) return;
  pooled_.add_row(position, hidden);
  if (!pooled_.complete()) return;
  finished_ = true;
  promise_.set_value(pooled_.result());
}

void EmbeddingJob::fail(ErrorCode code, const std::string& message) {
  if (finished_) return;
  finished_ = true;
  promise_.set_exception(std::make_exception_ptr(Error(code, message)));
}

}  // namespace weft::runtime
