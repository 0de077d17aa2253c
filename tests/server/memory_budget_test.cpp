#include "server/memory_budget.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "server/generation_job.hpp"

namespace weft::server {
namespace {

// Records which accounts the budget chose to cut off, in order.
struct Evictions {
  std::vector<int> order;
  std::vector<size_t> held;
  BudgetEviction of(int name) {
    return [this, name](size_t bytes, size_t, size_t) {
      order.push_back(name);
      held.push_back(bytes);
    };
  }
};

TEST(MemoryBudget, OutputAndInputOfEveryAccountAddUp) {
  MemoryBudget budget(1000);
  auto first = budget.open({});
  auto second = budget.open({});
  first->charge_output(100);
  first->set_input(50);
  second->charge_output(30);
  EXPECT_EQ(first->held(), 150u);
  EXPECT_EQ(budget.total(), 180u);
  first->release_output(60);
  first->set_input(20);  // input is replaced, not added
  EXPECT_EQ(first->held(), 60u);
  EXPECT_EQ(budget.total(), 90u);
  second->release_output(1000);  // more than it holds: what it held, no wrap-around
  EXPECT_EQ(second->held(), 0u);
  EXPECT_EQ(budget.total(), 60u);
}

TEST(MemoryBudget, AClosedOrDestroyedAccountNoLongerCounts) {
  MemoryBudget budget(1000);
  auto kept = budget.open({});
  auto closed = budget.open({});
  auto destroyed = budget.open({});
  kept->charge_output(10);
  closed->charge_output(200);
  closed->set_input(300);
  destroyed->charge_output(400);
  EXPECT_EQ(budget.total(), 910u);
  closed->close();
  closed->charge_output(500);  // a frame queued after the close is not counted either
  closed->set_input(600);
  destroyed.reset();
  EXPECT_EQ(closed->held(), 0u);
  EXPECT_EQ(budget.total(), 10u);
  EXPECT_EQ(budget.evictions(), 0u);
}

TEST(MemoryBudget, WithinTheLimitNobodyIsCutOff) {
  MemoryBudget budget(100);
  Evictions evictions;
  auto a = budget.open(evictions.of(1));
  auto b = budget.open(evictions.of(2));
  a->charge_output(60);
  b->set_input(40);  // exactly the limit
  EXPECT_TRUE(evictions.order.empty());
  EXPECT_EQ(budget.total(), 100u);
}

TEST(MemoryBudget, PastTheLimitTheLargestAccountsGoUntilTheRestFit) {
  MemoryBudget budget(100);
  Evictions evictions;
  auto small = budget.open(evictions.of(1));
  auto large = budget.open(evictions.of(2));
  auto middle = budget.open(evictions.of(3));
  small->charge_output(10);
  large->set_input(45);
  middle->charge_output(40);
  EXPECT_TRUE(evictions.order.empty());  // 95
  // The small one tips it over: 10 + 45 + 40 + 30 = 125; without the largest (45) 80 fits.
  small->charge_output(30);
  EXPECT_EQ(evictions.order, (std::vector<int>{2}));
  EXPECT_EQ(evictions.held, (std::vector<size_t>{45}));
  EXPECT_EQ(budget.total(), 80u);
  EXPECT_EQ(large->held(), 0u);
  // 80 + 70 = 150: the small one now holds 110 and goes alone, leaving the middle one's 40.
  small->charge_output(70);
  EXPECT_EQ(evictions.order, (std::vector<int>{2, 1}));
  EXPECT_EQ(evictions.held, (std::vector<size_t>{45, 110}));
  EXPECT_EQ(budget.total(), 40u);
  EXPECT_EQ(budget.evictions(), 2u);
}

// The eviction runs without the budget's lock: it may drop the last reference to the
// account it names (a connection's destruction), and it may open or charge other accounts.
TEST(MemoryBudget, AnEvictionMayDestroyItsAccountAndUseTheBudget) {
  MemoryBudget budget(100);
  std::shared_ptr<BudgetAccount> victim;
  std::shared_ptr<BudgetAccount> opened_meanwhile;
  victim = budget.open([&](size_t, size_t, size_t) {
    victim.reset();
    opened_meanwhile = budget.open({});
    opened_meanwhile->charge_output(5);
  });
  victim->charge_output(150);
  EXPECT_EQ(victim, nullptr);
  ASSERT_NE(opened_meanwhile, nullptr);
  EXPECT_EQ(budget.total(), 5u);
}

// Worker threads charge frames while connections' strands release them; the total ends
// where the arithmetic says, and evictions happen only past the limit (TSan runs this too).
TEST(MemoryBudget, ConcurrentChargesAndReleasesBalance) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 20000;
  MemoryBudget budget(1u << 30);
  std::atomic<int> evicted{0};
  std::vector<std::shared_ptr<BudgetAccount>> accounts;
  for (int i = 0; i < kThreads; ++i) {
    accounts.push_back(budget.open([&](size_t, size_t, size_t) { evicted.fetch_add(1); }));
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < kRounds; ++round) {
        accounts[static_cast<size_t>(i)]->charge_output(7);
        accounts[static_cast<size_t>((i + 1) % kThreads)]->set_input(
            static_cast<size_t>(round % 13));
        accounts[static_cast<size_t>(i)]->release_output(3);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  size_t held = 0;
  for (const auto& account : accounts) held += account->held();
  EXPECT_EQ(budget.total(), held);
  size_t output = static_cast<size_t>(kThreads) * kRounds * (7 - 3);
  size_t input = static_cast<size_t>(kThreads) * ((kRounds - 1) % 13);
  EXPECT_EQ(held, output + input);
  EXPECT_EQ(evicted.load(), 0);
}

// Many threads push the total past a small limit at once: each eviction closes a distinct
// account, evicted accounts count nothing afterwards, and once everyone has stopped the
// total is what the open accounts hold, within the limit (TSan runs this too).
TEST(MemoryBudget, ConcurrentChargesPastTheLimitEvictEachAccountOnce) {
  constexpr int kThreads = 8;
  constexpr size_t kLimit = 1000;
  MemoryBudget budget(kLimit);
  std::vector<std::atomic<int>> evicted(kThreads);
  std::vector<std::shared_ptr<BudgetAccount>> accounts;
  for (int i = 0; i < kThreads; ++i) {
    accounts.push_back(budget.open([&evicted, i](size_t held, size_t, size_t) {
      EXPECT_GT(held, 0u);
      evicted[static_cast<size_t>(i)].fetch_add(1);
    }));
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 200; ++round) {
        accounts[static_cast<size_t>(i)]->charge_output(3);
        accounts[static_cast<size_t>(i)]->set_input(static_cast<size_t>(round % 5));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  size_t held = 0;
  int evictions = 0;
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_LE(evicted[static_cast<size_t>(i)].load(), 1) << "account " << i;
    evictions += evicted[static_cast<size_t>(i)].load();
    held += accounts[static_cast<size_t>(i)]->held();
  }
  // An account never cut off ends holding its 600 bytes of output; two of those would pass
  // the limit of 1000, so all but one at most were cut off.
  EXPECT_GE(evictions, kThreads - 1);
  EXPECT_EQ(static_cast<uint64_t>(evictions), budget.evictions());
  EXPECT_EQ(budget.total(), held);
  EXPECT_LE(budget.total(), kLimit);
}

// The Outbox charges what it queues to its connection's account and releases what is
// written; closing it drops the rest from the budget.
TEST(MemoryBudget, AnOutboxChargesItsAccount) {
  MemoryBudget budget(1u << 20);
  auto outbox = std::make_shared<Outbox>();
  auto account = budget.open({});
  outbox->set_account(account);
  outbox->add(1000);
  outbox->add(500);
  EXPECT_EQ(budget.total(), 1500u);
  outbox->written(1000);
  EXPECT_EQ(outbox->pending(), 500u);
  EXPECT_EQ(budget.total(), 500u);
  account->set_input(300);
  EXPECT_EQ(budget.total(), 800u);
  outbox->close();
  EXPECT_EQ(budget.total(), 0u);
  outbox->add(50);
  EXPECT_EQ(budget.total(), 0u);
}

}  // namespace
}  // namespace weft::server
