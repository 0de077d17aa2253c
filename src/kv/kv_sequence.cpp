#include "kv/kv_sequence.hpp"

#include <string>
#include <utility>

#include "weft/error.hpp"

namespace weft::kv {

KvSequence::KvSequence(KvSequence&& other) noexcept
    : pool_(other.pool_),
      holder_(other.holder_),
      pages_(std::move(other.pages_)),
      length_(std::exchange(other.length_, 0)) {
  other.pages_.clear();
}

KvSequence& KvSequence::operator=(KvSequence&& other) noexcept {
  if (this != &other) {
    clear();
    pool_ = other.pool_;
    holder_ = other.holder_;
    pages_ = std::move(other.pages_);
    other.pages_.clear();
    length_ = std::exchange(other.length_, 0);
  }
  return *this;
}

void KvSequence::reserve(int64_t slots) {
  const int64_t page_tokens = pool_->page_tokens();
  const auto needed = static_cast<size_t>((slots + page_tokens - 1) / page_tokens);
  if (slots > length_) make_tail_private();
  while (pages_.size() < needed) pages_.push_back(pool_->acquire(holder_));
}

void KvSequence::make_tail_private() {
  const int64_t filled_in_tail = length_ % pool_->page_tokens();
  if (filled_in_tail == 0) return;
  PageId& tail = pages_[static_cast<size_t>(length_ / pool_->page_tokens())];
  if (pool_->ref_count(tail) == 1) return;
  const PageId copy = pool_->acquire(holder_);
  pool_->copy_slots(tail, copy, filled_in_tail);
  pool_->release(tail, holder_);
  tail = copy;
}

KvSequence KvSequence::fork(Holder holder) const {
  KvSequence forked(*pool_, holder);
  const int64_t page_tokens = pool_->page_tokens();
  const auto full_pages = static_cast<size_t>(length_ / page_tokens);
  const int64_t filled_in_tail = length_ % page_tokens;
  forked.pages_.reserve(full_pages + 1);
  for (size_t i = 0; i < full_pages; ++i) {
    pool_->retain(pages_[i], holder);
    forked.pages_.push_back(pages_[i]);
  }
  if (filled_in_tail > 0) {
    // forked's destructor releases what was taken if the pool cannot give the copy.
    const PageId copy = pool_->acquire(holder);
    forked.pages_.push_back(copy);
    pool_->copy_slots(pages_[full_pages], copy, filled_in_tail);
  }
  forked.length_ = length_;
  return forked;
}

void KvSequence::truncate(int64_t length) {
  if (length < 0 || length > length_) {
    throw Error("cannot truncate a context of " + std::to_string(length_) + " tokens to " +
                std::to_string(length));
  }
  const int64_t page_tokens = pool_->page_tokens();
  const auto kept = static_cast<size_t>((length + page_tokens - 1) / page_tokens);
  while (pages_.size() > kept) {
    pool_->release(pages_.back(), holder_);
    pages_.pop_back();
  }
  length_ = length;
}

void KvSequence::adopt(std::span<const PageId> pages, int64_t length) {
  if (!pages_.empty() || length_ != 0) {
    throw Error(ErrorCode::internal, "only an empty KV sequence can adopt cached pages");
  }
  if (length < 0 || length > static_cast<int64_t>(pages.size()) * pool_->page_tokens()) {
    throw Error(ErrorCode::internal, "adopted KV length exceeds the adopted pages");
  }
  for (PageId page : pages) {
    pool_->retain(page, holder_);
    pages_.push_back(page);
  }
  length_ = length;
}

void KvSequence::set_holder(Holder holder) {
  pool_->move_references(holder_, holder, pages_);
  holder_ = holder;
}

void KvSequence::set_length(int64_t length) {
  if (length < 0 || length > static_cast<int64_t>(pages_.size()) * pool_->page_tokens()) {
    throw Error(ErrorCode::internal,
                "KV sequence length " + std::to_string(length) + " exceeds its pages");
  }
  length_ = length;
}

void KvSequence::clear() {
  for (PageId page : pages_) pool_->release(page, holder_);
  pages_.clear();
  length_ = 0;
}

}  // namespace weft::kv
