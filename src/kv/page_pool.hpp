// The KV cache's memory: fixed-size pages from one pool. A page holds the keys and values
// of `page_tokens` consecutive token slots for every layer, so a context's cache is a list
// of pages (its page table, kv/kv_sequence.hpp). Pages are reference-counted: a full page
// can be shared by any number of contexts (fork, prefix reuse) and returns to the pool when
// the last holder releases it.
//
// Layout: a page is, for each layer, the keys of all its slots and then the values of all its
// slots; pages are kept layer-major in slabs of several pages (a layer's keys of every page of
// a slab, then its values, then the next layer's), in huge pages where the kernel grants them.
// One slot is kv_dim values in the pool's element type (F16 by default, F32, or Q8_0: blocks
// of 32 values with one F16 scale, as GGUF's Q8_0 — 34 bytes per 32 values instead of 64).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "tensor/formats/element_type.hpp"
#include "tensor/mapped_memory.hpp"

namespace weft::kv {

using PageId = uint32_t;

// Who holds a page reference: a page may be held by several holders of different kinds at
// once (a live sequence and the prefix cache, say). `sequence` is a scheduler's request;
// `context` a weft::Context. Contexts and snapshots are "outside" holders: the scheduler
// neither accounts for their pages nor can take them back, so it counts them at admission
// (outside_pages()).
enum class Holder : uint8_t { sequence, snapshot, prefix_cache, context };
inline constexpr size_t kHolderKinds = 4;

// What the pool's pages are used by. `references` counts references, not distinct pages:
// a page shared by two sequences counts twice under `sequence` and once in pages_in_use.
struct PoolUsage {
  int64_t pages_in_use = 0;
  int64_t capacity = 0;
  int64_t sequence_references = 0;
  int64_t snapshot_references = 0;
  int64_t prefix_cache_references = 0;
  int64_t context_references = 0;
  int64_t outside_pages = 0;  // distinct pages held by a context or a snapshot
  bool idle() const {
    return pages_in_use == 0 && sequence_references == 0 && snapshot_references == 0 &&
           prefix_cache_references == 0 && context_references == 0;
  }
};

struct PagePoolConfig {
  int64_t n_layers = 0;
  int64_t kv_dim = 0;  // n_head_kv · head_dim
  int64_t page_tokens = 16;
  tensor::ElementType type = tensor::ElementType::F16;  // F16, F32 or Q8_0
  int64_t max_pages = 0;
};

class PagePool {
 public:
  // Throws weft::Error for a type other than F16/F32/Q8_0, a Q8_0 pool whose kv_dim is not
  // a multiple of 32, or non-positive sizes. Page memory is allocated when a page is first
  // used, so an idle large pool costs nothing.
  explicit PagePool(const PagePoolConfig& config);
  PagePool(const PagePool&) = delete;
  PagePool& operator=(const PagePool&) = delete;

  // A page with reference count 1. When no page is free the reclaimer (if any) is asked to
  // let go of cached pages first; throws weft::Error when all max_pages stay in use.
  PageId acquire(Holder holder = Holder::sequence);
  void retain(PageId page, Holder holder = Holder::sequence);
  // Drops one reference; the page is free again when none are left.
  void release(PageId page, Holder holder = Holder::sequence);
  uint32_t ref_count(PageId page) const;
  // Re-labels one reference to each of `pages` from one holder kind to another (a snapshot
  // taken out of the store becomes a context without touching its pages).
  void move_references(Holder from, Holder to, std::span<const PageId> pages);
  // Distinct pages held by at least one context or snapshot.
  int64_t outside_pages() const { return outside_pages_; }

  // Called when the pool is empty; returns false when it has nothing more to free. The
  // prefix index installs itself here so cached pages give way to live requests.
  using Reclaimer = std::function<bool()>;
  void set_reclaimer(Reclaimer reclaimer) { reclaimer_ = std::move(reclaimer); }

  // Copies the first `slots` slots (keys and values of every layer) of one page to another;
  // `to` must be held by exactly one owner.
  void copy_slots(PageId from, PageId to, int64_t slots);
  // Slots copied by copy_slots since the pool was made: what fork, snapshots and
  // copy-on-write really cost in KV bytes (full pages are shared, never copied).
  int64_t copied_slots() const { return copied_slots_; }

  int64_t pages_in_use() const { return in_use_; }
  int64_t free_pages() const { return config_.max_pages - in_use_; }
  PoolUsage usage() const;
  int64_t capacity() const { return config_.max_pages; }
  int64_t page_tokens() const { return config_.page_tokens; }
  int64_t kv_dim() const { return config_.kv_dim; }
  int64_t n_layers() const { return config_.n_layers; }
  tensor::ElementType type() const { return config_.type; }
  uint64_t page_bytes() const { return page_bytes_; }
  // Bytes of the page slabs mapped so far (kept for reuse once mapped; the kernel supplies
  // a slab's memory as its pages are written).
  uint64_t allocated_bytes() const;

  // Writes one slot's key and value for one layer (kv_dim floats each, converted to the
  // pool's type; quantised block by block for Q8_0). The page must be held by exactly one
  // owner: shared pages are immutable.
  void store(PageId page, int64_t layer, int64_t slot, const float* key, const float* value);
  // Reads `count` values starting at `offset` within a slot's key (or value) as float32.
  // For Q8_0, offset and count must be multiples of 32 (whole blocks).
  void load_key(PageId page, int64_t layer, int64_t slot, int64_t offset, int64_t count,
                float* out) const;
  void load_value(PageId page, int64_t layer, int64_t slot, int64_t offset, int64_t count,
                  float* out) const;
  // Where one slot's stored key (or value) of one layer starts, in the pool's element type;
  // the slots of a page follow each other slot_bytes() apart. For kernels that read the cache
  // in place rather than through load_key/load_value.
  const std::byte* stored_key(PageId page, int64_t layer, int64_t slot) const {
    return slot_data(page, layer, false, slot);
  }
  const std::byte* stored_value(PageId page, int64_t layer, int64_t slot) const {
    return slot_data(page, layer, true, slot);
  }
  uint64_t slot_bytes() const { return slot_bytes_; }

 private:
  const std::byte* slot_data(PageId page, int64_t layer, bool value, int64_t slot) const;
  void check_page(PageId page) const;

  PagePoolConfig config_;
  uint64_t slot_bytes_ = 0;
  uint64_t slot_run_bytes_ = 0;  // one layer's keys (or values) of one page
  uint64_t page_bytes_ = 0;
  // Pages live in slabs of about kSlabBytes, each mapped when its first page is taken and
  // given back whole with the pool (tensor/mapped_memory.hpp), so that a reloaded model's
  // pages do not stay resident in malloc's heap.
  int64_t pages_per_slab_ = 1;
  std::vector<tensor::MappedMemory> slabs_;
  std::vector<uint32_t> ref_counts_;
  std::vector<PageId> free_list_;
  int64_t in_use_ = 0;
  int64_t copied_slots_ = 0;
  std::array<int64_t, kHolderKinds> references_{};
  std::vector<uint32_t> outside_refs_;  // per page: references by contexts and snapshots
  int64_t outside_pages_ = 0;
  void count_outside(PageId page, Holder holder, int delta);
  Reclaimer reclaimer_;
};

}  // namespace weft::kv
