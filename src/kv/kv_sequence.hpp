// One context's KV cache: its page table (the pages holding token slots 0, 1, 2, … in
// order) and how many slots are filled. Slot i holds the token at position i.
//
// Forking and prefix sharing build on this: a full page may be shared between sequences
// (retain), and only the partly filled last page ever needs copying, because sequences only
// append. A shared page is never written: before slots are written into a partly filled
// page that someone else also holds (after a truncate into a shared page), `reserve` swaps
// in a private copy of it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kv/page_pool.hpp"

namespace weft::kv {

class KvSequence {
 public:
  explicit KvSequence(PagePool& pool, Holder holder = Holder::sequence)
      : pool_(&pool), holder_(holder) {}
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
  void release() { clear(); }

  // A new sequence over the same filled slots: every full page is shared (one reference
  // more, no bytes copied); only a partly filled last page is copied. Costs O(pages).
  KvSequence fork(Holder holder = Holder::sequence) const;
  // Keeps slots [0, length) and releases the pages past them; length ≤ length().
  void truncate(int64_t length);
  // Makes an empty sequence start with `pages` (full pages, e.g. from the prefix index),
  // taking one reference to each; `length` slots of them are filled.
  void adopt(std::span<const PageId> pages, int64_t length);
  // Re-labels this sequence's page references for pool accounting (a snapshot taken out of
  // the store becomes a live sequence).
  void set_holder(Holder holder);
  Holder holder() const { return holder_; }

  PageId page_of(int64_t slot) const {
    return pages_[static_cast<size_t>(slot / pool_->page_tokens())];
  }
  int64_t slot_in_page(int64_t slot) const { return slot % pool_->page_tokens(); }
  std::span<const PageId> pages() const { return pages_; }
  PagePool& pool() const { return *pool_; }

 private:
  // When the partly filled last page is shared, replaces it with a private copy.
  void make_tail_private();

  PagePool* pool_;
  Holder holder_;
  std::vector<PageId> pages_;
  int64_t length_ = 0;
};

}  // namespace weft::kv
