// The prefix cache: full KV pages indexed by what they hold, so a new context whose prompt
// starts like an earlier one adopts those pages instead of recomputing them.
//
// A page's key is a hash chain: key(page i) = hash(key(page i−1), tokens of page i), with a
// fixed seed before page 0. The chain makes a key stand for the page's tokens *and* every
// token before them (hence their positions), which is what the page's keys and values
// depend on. A key is only a hash, so an entry also keeps its page's tokens and the identity
// of the entry before it in its chain (its parent): a match checks both at every page, which
// by induction means the whole prefix is equal, so a hash collision is a miss, never a wrong
// page. (The parent's key alone would not do: when a parent is evicted and another chain's
// page with a colliding key takes its place, the old child would seem to follow it.)
//
// The index holds one reference to each cached page (Holder::prefix_cache), so cached pages
// outlive the request that made them. It installs itself as the pool's reclaimer: when the
// pool runs out, cached pages that nobody else holds are released least recently used
// first. Pages nearer the start of a prompt are marked used after deeper ones, so a chain
// is evicted from its end.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <span>
#include <unordered_map>
#include <vector>

#include "kv/kv_sequence.hpp"
#include "kv/page_pool.hpp"

namespace weft::kv {

class PrefixIndex {
 public:
  // key(page i) from key(page i−1) and page i's tokens.
  using ChainHash = std::function<uint64_t(uint64_t previous, std::span<const int32_t> page)>;
  // A well-mixed 64-bit chain (splitmix64 steps); the default.
  static uint64_t default_chain_hash(uint64_t previous, std::span<const int32_t> page);

  // The pool must outlive the index. Only one index per pool (it is the pool's reclaimer).
  // `hash` is replaceable so that tests can force collisions.
  explicit PrefixIndex(PagePool& pool, ChainHash hash = default_chain_hash);
  ~PrefixIndex();
  PrefixIndex(const PrefixIndex&) = delete;
  PrefixIndex& operator=(const PrefixIndex&) = delete;

  struct Match {
    std::vector<PageId> pages;  // full pages holding tokens [0, length)
    int64_t length = 0;         // a multiple of the page size
  };
  // The longest cached run of full pages that `tokens` starts with; marks them used.
  Match match(std::span<const int32_t> tokens);
  // match() and then KvSequence::adopt into an empty sequence; returns the adopted length.
  // Pass the prompt without its last token when that token's logits are wanted.
  int64_t adopt_prefix(KvSequence& sequence, std::span<const int32_t> tokens);
  // Caches every full page of `sequence` whose tokens are known (tokens[i] is the token at
  // slot i); call after a prefill. Returns how many pages were newly cached.
  size_t publish(const KvSequence& sequence, std::span<const int32_t> tokens);

  // Releases the least recently used cached page that nobody else holds; false if none.
  bool evict_one();
  void clear();
  size_t cached_pages() const { return entries_.size(); }
  // Cached pages nobody else holds: what eviction could give back to the pool now (an
  // admission check counts these as free). O(cached pages).
  size_t evictable_pages() const;

 private:
  struct Entry {
    PageId page = 0;
    std::vector<int32_t> tokens;
    uint64_t serial = 0;         // this entry's identity, never reused
    uint64_t parent_serial = 0;  // the entry of the page before; kNoParent for page 0
    std::list<uint64_t>::iterator recency;
  };
  static constexpr uint64_t kNoParent = 0;
  // Whether `entry` holds `page` right after the entry `parent_serial` (the whole chain).
  static bool continues(const Entry& entry, uint64_t parent_serial, std::span<const int32_t> page);
  // Marks the entries used, the last one least recently (see the header comment).
  void touch(std::span<const uint64_t> keys_in_prompt_order);
  void erase(std::unordered_map<uint64_t, Entry>::iterator entry);

  PagePool* pool_;
  ChainHash hash_;
  uint64_t next_serial_ = kNoParent + 1;
  std::unordered_map<uint64_t, Entry> entries_;
  std::list<uint64_t> recency_;  // most recently used first
};

}  // namespace weft::kv
