#include "server/admission.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace weft::server {
namespace {

TEST(Admission, RunsNQueuesQAndRejectsTheRest) {
  Admission admission(2, 1);
  std::vector<int> started;
  auto job = [&](int n) { return [&started, n] { started.push_back(n); }; };
  EXPECT_EQ(admission.submit(1, job(1)), Admission::Outcome::started);
  EXPECT_EQ(admission.submit(2, job(2)), Admission::Outcome::started);
  EXPECT_EQ(admission.submit(3, job(3)), Admission::Outcome::queued);
  EXPECT_EQ(admission.submit(4, job(4)), Admission::Outcome::rejected);
  EXPECT_EQ(started, (std::vector<int>{1, 2}));
  admission.finish();  // the slot passes to the waiting job
  EXPECT_EQ(started, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(admission.active(), 2u);
  admission.finish();
  admission.finish();
  EXPECT_EQ(admission.active(), 0u);
}

TEST(Admission, AWithdrawnJobNeverStarts) {
  Admission admission(1, 2);
  std::vector<int> started;
  auto job = [&](int n) { return [&started, n] { started.push_back(n); }; };
  admission.submit(1, job(1));
  admission.submit(2, job(2));
  admission.submit(3, job(3));
  EXPECT_TRUE(admission.withdraw(2));
  EXPECT_FALSE(admission.withdraw(2));
  EXPECT_FALSE(admission.withdraw(1));  // already running
  admission.finish();
  EXPECT_EQ(started, (std::vector<int>{1, 3}));
  EXPECT_EQ(admission.queued(), 0u);
}

TEST(Admission, ZeroQueueRejectsAtOnceWhenFull) {
  Admission admission(1, 0);
  admission.submit(1, [] {});
  EXPECT_EQ(admission.submit(2, [] {}), Admission::Outcome::rejected);
}

}  // namespace
}  // namespace weft::server
