// One context's KV cache: its page table (the pages holding token slots 0, 1, 2, … in
// order) and how many slots are filled. Slot i holds the token at position i.
//
// Forking and prefix sharing (issue 5) build on this: a full page may be shared between
// sequences (retain), and only the partly filled last page ever needs copying, because
// sequences only append.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kv/page_pool.hpp"

namespace weft::kv {

class KvSequence {
 public:
  explicit KvSequence(PagePool& pool) : pool_(&pool) {}
  ~KvSequence() { clear(); }
  KvSequence(const KvSequence&) = delete;
  KvSequence& operator=(const KvSequence&) = delete;
  KvSequence(KvSequence&& other) noexcept;
  KvSequence& operator=(KvSequence&& other) noexcept;

  // Filled slots: the positions the forward pass has written.
  int64_t length() const { return length_; }
  // Makes slots [0, slots) addressable, acquiring pages as needed; throws weft::Error when
  // the pool is exhausted (pages acquired so far stay in the table for the next try).
  void reserve(int64_t slots);
  // Marks slots [0, length) as filled; length must not exceed the reserved slots.
  void set_length(int64_t length);
  // Releases every page.
  void clear();

  PageId page_of(int64_t slot) const {
    return pages_[static_cast<size_t>(slot / pool_->page_tokens())];
  }
  int64_t slot_in_page(int64_t slot) const { return slot % pool_->page_tokens(); }
  std::span<const PageId> pages() const { return pages_; }
  PagePool& pool() const { return *pool_; }

 private:
  PagePool* pool_;
  std::vector<PageId> pages_;
  int64_t length_ = 0;
};

}  // namespace weft::kv
