// Named snapshots of KV sequences. A snapshot holds its pages like a fork does (full pages
// shared, the partly filled last page copied), so saving costs O(pages) and no KV bytes
// beyond one page; the pages stay alive as long as the snapshot does.
//
//   store.save("after-system-prompt", sequence);
//   auto a = store.open("after-system-prompt");   // an implicit fork; the snapshot stays
//   auto b = store.take("after-system-prompt");   // no copy; the snapshot is gone
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kv/kv_sequence.hpp"
#include "kv/page_pool.hpp"

namespace weft::kv {

class SnapshotStore {
 public:
  explicit SnapshotStore(PagePool& pool) : pool_(&pool) {}
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  // Saves a fork of `sequence` (and the tokens it holds, for the caller's bookkeeping)
  // under `name`; throws weft::Error for an empty name, a name in use, or another pool.
  void save(const std::string& name, const KvSequence& sequence, std::vector<int32_t> tokens = {});
  // Saves under a generated name ("snapshot-1", "snapshot-2", … skipping names in use).
  std::string snapshot(const KvSequence& sequence, std::vector<int32_t> tokens = {});
  // A live fork of the snapshot, held as a context's (Holder::context); the snapshot stays.
  // Throws weft::Error for an unknown name.
  KvSequence open(const std::string& name) const;
  // Moves the snapshot out as a context's sequence without copying; the snapshot is gone.
  KvSequence take(const std::string& name);
  // Releases the snapshot's pages; throws weft::Error for an unknown name.
  void remove(const std::string& name);
  void clear() { snapshots_.clear(); }

  bool contains(const std::string& name) const { return snapshots_.contains(name); }
  const std::vector<int32_t>& tokens(const std::string& name) const;
  std::vector<std::string> names() const;
  size_t size() const { return snapshots_.size(); }

 private:
  struct Snapshot {
    KvSequence sequence;
    std::vector<int32_t> tokens;
  };
  const Snapshot& find(const std::string& name) const;

  PagePool* pool_;
  std::map<std::string, Snapshot> snapshots_;
  uint64_t next_generated_ = 1;
};

}  // namespace weft::kv
