#include "kv/page_pool.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "tensor/formats/quant_blocks.hpp"
#include "tensor/quant_formats.hpp"
#include "weft/error.hpp"

namespace weft::kv {
namespace {

// Large enough that a long context needs few mappings and one layer's keys of a slab's pages
// make long runs, small enough that a light load maps little beyond the pages it uses (in
// huge pages: four of them).
constexpr uint64_t kSlabBytes = uint64_t{8} << 20;

}  // namespace

PagePool::PagePool(const PagePoolConfig& config) : config_(config) {
  if (config.type != tensor::ElementType::F16 && config.type != tensor::ElementType::F32 &&
      config.type != tensor::ElementType::Q8_0) {
    throw Error("KV cache type must be f16, f32 or q8_0");
  }
  if (config.n_layers <= 0 || config.kv_dim <= 0 || config.page_tokens <= 0 ||
      config.max_pages <= 0 || config.max_pages > (int64_t{1} << 31)) {
    throw Error("KV page pool: layers, kv_dim, page_tokens and max_pages must be positive");
  }
  const auto slot_bytes = tensor::bytes_for(config.type, static_cast<uint64_t>(config.kv_dim));
  if (!slot_bytes) {
    throw Error("KV cache type q8_0 needs a kv dimension that is a multiple of 32, not " +
                std::to_string(config.kv_dim));
  }
  slot_bytes_ = *slot_bytes;
  page_bytes_ = slot_bytes_ * static_cast<uint64_t>(config.page_tokens) * 2 *
                static_cast<uint64_t>(config.n_layers);
  pages_per_slab_ =
      std::clamp<int64_t>(static_cast<int64_t>(kSlabBytes / page_bytes_), 1, config.max_pages);
  slot_run_bytes_ = slot_bytes_ * static_cast<uint64_t>(config.page_tokens);
  slabs_.resize(static_cast<size_t>((config.max_pages + pages_per_slab_ - 1) / pages_per_slab_));
  ref_counts_.assign(static_cast<size_t>(config.max_pages), 0);
  outside_refs_.assign(static_cast<size_t>(config.max_pages), 0);
  free_list_.reserve(static_cast<size_t>(config.max_pages));
  // Lowest ids first, so a lightly used pool touches few pages.
  for (int64_t page = config.max_pages - 1; page >= 0; --page)
    free_list_.push_back(static_cast<PageId>(page));
}

PageId PagePool::acquire(Holder holder) {
  while (free_list_.empty() && reclaimer_ && reclaimer_()) {
  }
  if (free_list_.empty()) {
    throw Error(ErrorCode::queue_full,
                "KV page pool exhausted: all " + std::to_string(config_.max_pages) + " pages of " +
                    std::to_string(config_.page_tokens) + " tokens are in use");
  }
  const PageId page = free_list_.back();
  free_list_.pop_back();
  auto& slab = slabs_[page / static_cast<uint64_t>(pages_per_slab_)];
  if (slab.data() == nullptr) {
    slab = tensor::MappedMemory(page_bytes_ * static_cast<uint64_t>(pages_per_slab_),
                                tensor::PageBacking::huge);
  }
  ref_counts_[page] = 1;
  ++in_use_;
  ++references_[static_cast<size_t>(holder)];
  count_outside(page, holder, +1);
  return page;
}

void PagePool::count_outside(PageId page, Holder holder, int delta) {
  if (holder != Holder::context && holder != Holder::snapshot) return;
  auto& refs = outside_refs_[page];
  if (delta > 0 && refs++ == 0) ++outside_pages_;
  if (delta < 0 && --refs == 0) --outside_pages_;
}

void PagePool::check_page(PageId page) const {
  if (page >= ref_counts_.size() || ref_counts_[page] == 0) {
    throw Error(ErrorCode::internal, "KV page " + std::to_string(page) + " is not in use");
  }
}

void PagePool::retain(PageId page, Holder holder) {
  check_page(page);
  ++ref_counts_[page];
  ++references_[static_cast<size_t>(holder)];
  count_outside(page, holder, +1);
}

void PagePool::release(PageId page, Holder holder) {
  check_page(page);
  --references_[static_cast<size_t>(holder)];
  count_outside(page, holder, -1);
  if (--ref_counts_[page] == 0) {
    free_list_.push_back(page);
    --in_use_;
  }
}

uint32_t PagePool::ref_count(PageId page) const {
  return page < ref_counts_.size() ? ref_counts_[page] : 0;
}

void PagePool::move_references(Holder from, Holder to, std::span<const PageId> pages) {
  const auto count = static_cast<int64_t>(pages.size());
  references_[static_cast<size_t>(from)] -= count;
  references_[static_cast<size_t>(to)] += count;
  for (PageId page : pages) {
    count_outside(page, to, +1);
    count_outside(page, from, -1);
  }
}

PoolUsage PagePool::usage() const {
  return {.pages_in_use = in_use_,
          .capacity = config_.max_pages,
          .sequence_references = references_[static_cast<size_t>(Holder::sequence)],
          .snapshot_references = references_[static_cast<size_t>(Holder::snapshot)],
          .prefix_cache_references = references_[static_cast<size_t>(Holder::prefix_cache)],
          .context_references = references_[static_cast<size_t>(Holder::context)],
          .outside_pages = outside_pages_};
}

void PagePool::copy_slots(PageId from, PageId to, int64_t slots) {
  check_page(from);
  check_page(to);
  if (ref_counts_[to] != 1) {
    throw Error(ErrorCode::internal,
                "KV page " + std::to_string(to) + " is shared and cannot be written");
  }
  if (slots < 0 || slots > config_.page_tokens) {
    throw Error(ErrorCode::internal, "cannot copy " + std::to_string(slots) +
                                         " slots of a page of " +
                                         std::to_string(config_.page_tokens));
  }
  copied_slots_ += slots;
  const auto bytes = static_cast<size_t>(slots) * slot_bytes_;
  for (int64_t layer = 0; layer < config_.n_layers; ++layer) {
    for (bool value : {false, true}) {
      std::memcpy(const_cast<std::byte*>(slot_data(to, layer, value, 0)),
                  slot_data(from, layer, value, 0), bytes);
    }
  }
}

uint64_t PagePool::allocated_bytes() const {
  uint64_t total = 0;
  for (const auto& slab : slabs_) total += slab.size();
  return total;
}

const std::byte* PagePool::slot_data(PageId page, int64_t layer, bool value, int64_t slot) const {
  // Layer-major within a slab: the keys (or values) of one layer for all of the slab's pages
  // follow each other, so attention over a long sequence (whose pages are mostly consecutive
  // ids) reads each layer's cache in runs of many pages, not one page's slots every
  // page_bytes_ (196 KB for qwen2.5-0.5b).
  const auto per_slab = static_cast<uint64_t>(pages_per_slab_);
  const uint64_t run =
      (static_cast<uint64_t>(layer) * 2 + (value ? 1 : 0)) * per_slab + page % per_slab;
  return slabs_[page / per_slab].data() + run * slot_run_bytes_ +
         static_cast<uint64_t>(slot) * slot_bytes_;
}

void PagePool::store(PageId page, int64_t layer, int64_t slot, const float* key,
                     const float* value) {
  check_page(page);
  if (ref_counts_[page] != 1) {
    throw Error(ErrorCode::internal,
                "KV page " + std::to_string(page) + " is shared and cannot be written");
  }
  auto* key_slot = const_cast<std::byte*>(slot_data(page, layer, false, slot));
  auto* value_slot = const_cast<std::byte*>(slot_data(page, layer, true, slot));
  if (config_.type == tensor::ElementType::F32) {
    std::memcpy(key_slot, key, slot_bytes_);
    std::memcpy(value_slot, value, slot_bytes_);
  } else {  // F16, or Q8_0 (GGML's reference quantiser: d = max|x|/127, q = round(x/d))
    tensor::quantize_row(config_.type, key, key_slot, config_.kv_dim);
    tensor::quantize_row(config_.type, value, value_slot, config_.kv_dim);
  }
}

namespace {

// Bytes before value `offset` of a slot; for Q8_0 the offset starts a block (callers read
// whole heads, and the engine accepts q8_0 only for head sizes that are multiples of 32).
int64_t offset_bytes(tensor::ElementType type, int64_t offset) {
  switch (type) {
    case tensor::ElementType::F32:
      return offset * 4;
    case tensor::ElementType::Q8_0:
      if (offset % 32 != 0) {
        throw Error(ErrorCode::internal,
                    "q8_0 KV read at offset " + std::to_string(offset) + ", not a block start");
      }
      return offset / 32 * static_cast<int64_t>(sizeof(tensor::BlockQ8_0));
    default:
      return offset * 2;
  }
}

void load_values(tensor::ElementType type, const std::byte* slot, int64_t offset, int64_t count,
                 float* out) {
  if (type == tensor::ElementType::F32) {
    std::memcpy(out, slot + offset * 4, static_cast<size_t>(count) * 4);
  } else {
    tensor::dequantize_row(type, slot + offset_bytes(type, offset), out, count);
  }
}

}  // namespace

void PagePool::load_key(PageId page, int64_t layer, int64_t slot, int64_t offset, int64_t count,
                        float* out) const {
  load_values(config_.type, slot_data(page, layer, false, slot), offset, count, out);
}

void PagePool::load_value(PageId page, int64_t layer, int64_t slot, int64_t offset, int64_t count,
                          float* out) const {
  load_values(config_.type, slot_data(page, layer, true, slot), offset, count, out);
}

}  // namespace weft::kv
