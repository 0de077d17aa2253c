// The daemon-wide bound on what all connections together hold queued: unwritten output of
// every kind, input not yet parsed, and parsed requests waiting their turn. Each connection's
// own limits (server/connection_output.hpp) bound one connection; this bounds their sum, so
// that many connections each just under their own limits cannot exhaust the machine. Past
// it, the connections holding the most are cut off, largest first, until the rest fit again
// (docs/reliability.md#the-daemon-wide-budget). Thread-safe; owned by the ServerContext.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sync/mutex.hpp"

namespace weft::server {

class BudgetAccount;

// What an account's owner is told when it is chosen to go: the bytes it held, what all
// accounts held together at that moment, and the limit. It closes its connection (from any
// thread: it must only post the close). Called with no lock held.
using BudgetEviction = std::function<void(size_t held, size_t total, size_t limit)>;

namespace budget_detail {

// Shared by the budget and its accounts, so that an account may outlive the budget's owner
// (a connection still queued on the io_context when the server goes).
class Ledger {
 public:
  explicit Ledger(size_t limit) : limit_(limit) {}

  void add(BudgetAccount* account);
  void remove(BudgetAccount* account);
  void grow(size_t bytes) { total_.fetch_add(bytes); }
  void shrink(size_t bytes) { total_.fetch_sub(bytes); }
  bool over() const { return total_.load() > limit_; }
  // Cuts off the largest accounts until the total fits; their evictions run after the lock.
  void enforce();

  size_t limit() const { return limit_; }
  size_t total() const { return total_.load(); }
  uint64_t evictions() const { return evictions_.load(); }

 private:
  const size_t limit_;
  std::atomic<size_t> total_{0};
  std::atomic<uint64_t> evictions_{0};
  sync::Mutex mutex_;  // guards accounts_; taken before any account's own lock
  std::vector<BudgetAccount*> accounts_ WEFT_GUARDED_BY(mutex_);
};

}  // namespace budget_detail

// One connection's share: its output (charged as frames are queued, released as they are
// written) and its input (replaced whole each time the connection recounts it).
class BudgetAccount {
 public:
  BudgetAccount(std::shared_ptr<budget_detail::Ledger> ledger, BudgetEviction evict);
  ~BudgetAccount();
  BudgetAccount(const BudgetAccount&) = delete;
  BudgetAccount& operator=(const BudgetAccount&) = delete;

  void charge_output(size_t bytes);
  void release_output(size_t bytes);
  void set_input(size_t bytes);
  size_t held() const;
  // The connection closed (or was evicted): what it held no longer counts, nor will anything
  // it queues from now on.
  void close();

 private:
  friend class budget_detail::Ledger;
  void enforce_if_over();

  std::shared_ptr<budget_detail::Ledger> ledger_;
  const BudgetEviction evict_;
  mutable sync::Mutex mutex_;
  size_t output_ WEFT_GUARDED_BY(mutex_) = 0;
  size_t input_ WEFT_GUARDED_BY(mutex_) = 0;
  bool closed_ WEFT_GUARDED_BY(mutex_) = false;
};

class MemoryBudget {
 public:
  explicit MemoryBudget(size_t limit_bytes);

  // A new connection's account; `evict` closes that connection.
  std::shared_ptr<BudgetAccount> open(BudgetEviction evict);
  size_t limit() const { return ledger_->limit(); }
  // What all open accounts hold now.
  size_t total() const { return ledger_->total(); }
  // Connections cut off so far.
  uint64_t evictions() const { return ledger_->evictions(); }

 private:
  std::shared_ptr<budget_detail::Ledger> ledger_;
};

}  // namespace weft::server
