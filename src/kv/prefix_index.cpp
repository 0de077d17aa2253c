#include "kv/prefix_index.hpp"

#include <algorithm>
#include <utility>

#include "weft/error.hpp"

namespace weft::kv {
namespace {

constexpr uint64_t kChainSeed = 0x9e3779b97f4a7c15ULL;

// splitmix64's finaliser: a cheap, well-mixed 64-bit hash step.
uint64_t mix(uint64_t value) {
  value ^= value >> 30;
  value *= 0xbf58476d1ce4e5b9ULL;
  value ^= value >> 27;
  value *= 0x94d049bb133111ebULL;
  value ^= value >> 31;
  return value;
}

}  // namespace

PrefixIndex::PrefixIndex(PagePool& pool, ChainHash hash) : pool_(&pool), hash_(std::move(hash)) {
  if (!hash_) throw Error(ErrorCode::internal, "the prefix index needs a chain hash");
  pool_->set_reclaimer([this] { return evict_one(); });
}

PrefixIndex::~PrefixIndex() {
  pool_->set_reclaimer(nullptr);
  clear();
}

uint64_t PrefixIndex::default_chain_hash(uint64_t previous, std::span<const int32_t> page) {
  uint64_t key = mix(previous);
  for (int32_t token : page) key = mix(key ^ static_cast<uint32_t>(token));
  return key;
}

PrefixIndex::Match PrefixIndex::match(std::span<const int32_t> tokens) {
  const auto page_tokens = static_cast<size_t>(pool_->page_tokens());
  Match found;
  std::vector<uint64_t> keys;
  uint64_t key = kChainSeed;
  uint64_t parent = kNoParent;
  for (size_t start = 0; start + page_tokens <= tokens.size(); start += page_tokens) {
    const auto page = tokens.subspan(start, page_tokens);
    key = hash_(key, page);
    const auto entry = entries_.find(key);
    if (entry == entries_.end() || !continues(entry->second, parent, page)) break;
    found.pages.push_back(entry->second.page);
    keys.push_back(key);
    parent = entry->second.serial;
  }
  found.length = static_cast<int64_t>(found.pages.size() * page_tokens);
  touch(keys);
  return found;
}

int64_t PrefixIndex::adopt_prefix(KvSequence& sequence, std::span<const int32_t> tokens) {
  const Match found = match(tokens);
  sequence.adopt(found.pages, found.length);
  return found.length;
}

size_t PrefixIndex::publish(const KvSequence& sequence, std::span<const int32_t> tokens) {
  const auto page_tokens = static_cast<size_t>(pool_->page_tokens());
  const auto known = std::min(tokens.size(), static_cast<size_t>(sequence.length()));
  std::vector<uint64_t> keys;
  size_t added = 0;
  uint64_t key = kChainSeed;
  uint64_t parent = kNoParent;
  for (size_t start = 0; start + page_tokens <= known; start += page_tokens) {
    const auto page = tokens.subspan(start, page_tokens);
    key = hash_(key, page);
    auto entry = entries_.find(key);
    if (entry != entries_.end()) {
      if (!continues(entry->second, parent, page)) break;  // a collision: stop here
    } else {
      const PageId id = sequence.pages()[start / page_tokens];
      pool_->retain(id, Holder::prefix_cache);
      recency_.push_front(key);
      entry = entries_
                  .emplace(key, Entry{.page = id,
                                      .tokens = {page.begin(), page.end()},
                                      .serial = next_serial_++,
                                      .parent_serial = parent,
                                      .recency = recency_.begin()})
                  .first;
      ++added;
    }
    keys.push_back(key);
    parent = entry->second.serial;
  }
  touch(keys);
  return added;
}

bool PrefixIndex::continues(const Entry& entry, uint64_t parent_serial,
                            std::span<const int32_t> page) {
  return entry.parent_serial == parent_serial && std::ranges::equal(entry.tokens, page);
}

void PrefixIndex::touch(std::span<const uint64_t> keys_in_prompt_order) {
  for (auto key = keys_in_prompt_order.rbegin(); key != keys_in_prompt_order.rend(); ++key) {
    auto& entry = entries_.at(*key);
    recency_.splice(recency_.begin(), recency_, entry.recency);
  }
}

void PrefixIndex::erase(std::unordered_map<uint64_t, Entry>::iterator entry) {
  recency_.erase(entry->second.recency);
  const PageId page = entry->second.page;
  entries_.erase(entry);
  pool_->release(page, Holder::prefix_cache);
}

bool PrefixIndex::evict_one() {
  for (auto key = recency_.rbegin(); key != recency_.rend(); ++key) {
    const auto entry = entries_.find(*key);
    // A page a live sequence or snapshot also holds would not return to the pool.
    if (pool_->ref_count(entry->second.page) == 1) {
      erase(entry);
      return true;
    }
  }
  return false;
}

size_t PrefixIndex::evictable_pages() const {
  size_t evictable = 0;
  for (const auto& [key, entry] : entries_) evictable += pool_->ref_count(entry.page) == 1;
  return evictable;
}

void PrefixIndex::clear() {
  while (!entries_.empty()) erase(entries_.begin());
}

}  // namespace weft::kv
