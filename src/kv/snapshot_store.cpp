#include "kv/snapshot_store.hpp"

#include <utility>

#include "weft/error.hpp"

namespace weft::kv {

void SnapshotStore::save(const std::string& name, const KvSequence& sequence,
                         std::vector<int32_t> tokens) {
  if (name.empty()) throw Error("a snapshot name must not be empty");
  if (&sequence.pool() != pool_) throw Error("snapshot '" + name + "': sequence of another pool");
  if (snapshots_.contains(name)) throw Error("snapshot '" + name + "' already exists");
  snapshots_.emplace(name, Snapshot{sequence.fork(Holder::snapshot), std::move(tokens)});
}

std::string SnapshotStore::snapshot(const KvSequence& sequence, std::vector<int32_t> tokens) {
  std::string name;
  do {
    name = "snapshot-" + std::to_string(next_generated_++);
  } while (snapshots_.contains(name));
  save(name, sequence, std::move(tokens));
  return name;
}

const SnapshotStore::Snapshot& SnapshotStore::find(const std::string& name) const {
  const auto found = snapshots_.find(name);
  if (found == snapshots_.end()) throw Error("no snapshot named '" + name + "'");
  return found->second;
}

KvSequence SnapshotStore::open(const std::string& name) const {
  return find(name).sequence.fork(Holder::context);
}

KvSequence SnapshotStore::take(const std::string& name) {
  find(name);
  auto node = snapshots_.extract(name);
  KvSequence sequence = std::move(node.mapped().sequence);
  sequence.set_holder(Holder::context);
  return sequence;
}

void SnapshotStore::remove(const std::string& name) {
  find(name);
  snapshots_.erase(name);
}

const std::vector<int32_t>& SnapshotStore::tokens(const std::string& name) const {
  return find(name).tokens;
}

std::vector<std::string> SnapshotStore::names() const {
  std::vector<std::string> names;
  names.reserve(snapshots_.size());
  for (const auto& [name, snapshot] : snapshots_) names.push_back(name);
  return names;
}

}  // namespace weft::kv
