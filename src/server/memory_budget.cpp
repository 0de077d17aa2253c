#include "server/memory_budget.hpp"

#include <algorithm>
#include <utility>

#include "sync/mutex.hpp"

namespace weft::server {
namespace budget_detail {

void Ledger::add(BudgetAccount* account) {
  sync::MutexLock lock(mutex_);
  accounts_.push_back(account);
}

void Ledger::remove(BudgetAccount* account) {
  sync::MutexLock lock(mutex_);
  std::erase(accounts_, account);
}

void Ledger::enforce() {
  struct Victim {
    BudgetEviction evict;
    size_t held;
    size_t total;
  };
  std::vector<Victim> victims;
  {
    sync::MutexLock lock(mutex_);
    while (over()) {
      BudgetAccount* largest = nullptr;
      size_t most = 0;
      for (BudgetAccount* account : accounts_) {
        const size_t held = account->held();
        if (held > most) {
          most = held;
          largest = account;
        }
      }
      if (!largest) break;
      victims.push_back({largest->evict_, most, total()});
      largest->close();
      evictions_.fetch_add(1);
    }
  }
  // Outside the lock: an eviction may drop the last reference to a connection, whose
  // account then leaves the ledger.
  for (auto& victim : victims) {
    if (victim.evict) victim.evict(victim.held, victim.total, limit_);
  }
}

}  // namespace budget_detail

BudgetAccount::BudgetAccount(std::shared_ptr<budget_detail::Ledger> ledger, BudgetEviction evict)
    : ledger_(std::move(ledger)), evict_(std::move(evict)) {
  ledger_->add(this);
}

BudgetAccount::~BudgetAccount() {
  close();
  ledger_->remove(this);
}

void BudgetAccount::charge_output(size_t bytes) {
  {
    sync::MutexLock lock(mutex_);
    if (closed_) return;
    output_ += bytes;
    ledger_->grow(bytes);
  }
  enforce_if_over();
}

void BudgetAccount::release_output(size_t bytes) {
  sync::MutexLock lock(mutex_);
  if (closed_) return;
  bytes = std::min(bytes, output_);
  output_ -= bytes;
  ledger_->shrink(bytes);
}

void BudgetAccount::set_input(size_t bytes) {
  {
    sync::MutexLock lock(mutex_);
    if (closed_ || bytes == input_) return;
    if (bytes > input_) {
      ledger_->grow(bytes - input_);
    } else {
      ledger_->shrink(input_ - bytes);
    }
    input_ = bytes;
  }
  enforce_if_over();
}

size_t BudgetAccount::held() const {
  sync::MutexLock lock(mutex_);
  return output_ + input_;
}

void BudgetAccount::close() {
  sync::MutexLock lock(mutex_);
  if (closed_) return;
  closed_ = true;
  ledger_->shrink(output_ + input_);
  output_ = 0;
  input_ = 0;
}

// The eviction may destroy this account (its connection's last reference): the ledger is
// held here, and nothing of the account is touched after.
void BudgetAccount::enforce_if_over() {
  const auto ledger = ledger_;
  if (ledger->over()) ledger->enforce();
}

MemoryBudget::MemoryBudget(size_t limit_bytes)
    : ledger_(std::make_shared<budget_detail::Ledger>(limit_bytes)) {}

std::shared_ptr<BudgetAccount> MemoryBudget::open(BudgetEviction evict) {
  return std::make_shared<BudgetAccount>(ledger_, std::move(evict));
}

}  // namespace weft::server
