#include "kv/kv_sequence.hpp"

#include <string>
#include <utility>

#include "weft/error.hpp"

namespace weft::kv {

KvSequence::KvSequence(KvSequence&& other) noexcept
    : pool_(other.pool_),
      pages_(std::move(other.pages_)),
      length_(std::exchange(other.length_, 0)) {
  other.pages_.clear();
}

KvSequence& KvSequence::operator=(KvSequence&& other) noexcept {
  if (this != &other) {
    clear();
    pool_ = other.pool_;
    pages_ = std::move(other.pages_);
    other.pages_.clear();
    length_ = std::exchange(other.length_, 0);
  }
  return *this;
}

void KvSequence::reserve(int64_t slots) {
  const int64_t page_tokens = pool_->page_tokens();
  const auto needed = static_cast<size_t>((slots + page_tokens - 1) / page_tokens);
  while (pages_.size() < needed) pages_.push_back(pool_->acquire());
}

void KvSequence::set_length(int64_t length) {
  if (length < 0 || length > static_cast<int64_t>(pages_.size()) * pool_->page_tokens()) {
    throw Error(ErrorCode::internal,
                "KV sequence length " + std::to_string(length) + " exceeds its pages");
  }
  length_ = length;
}

void KvSequence::clear() {
  for (PageId page : pages_) pool_->release(page);
  pages_.clear();
  length_ = 0;
}

}  // namespace weft::kv
