// The generation channel and stream (include/weft/generation.hpp): exactly one terminal event
// per generation, whatever order done, error and cancel come in and from whichever threads.
// The queue is inspected directly (events/generation_state.hpp), because the stream API
// stops at the first terminal event and would hide a second one.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "events/generation_state.hpp"
#include "sync/mutex.hpp"
#include "weft/generation.hpp"

namespace weft {
namespace {

using namespace std::chrono_literals;

// The events queued and not yet read, in order.
std::vector<Event> queued(const GenerationChannel& channel) {
  auto state = channel.state();
  const sync::MutexLock lock(state->mutex);
  return {state->queue.begin(), state->queue.end()};
}

int terminal_count(const std::vector<Event>& events) {
  int count = 0;
  for (const auto& event : events) count += is_terminal(event) ? 1 : 0;
  return count;
}

DoneEvent done_with(StopReason reason) {
  DoneEvent done;
  done.reason = reason;
  return done;
}

TEST(GenerationChannel, DoneThenErrorQueuesOnlyTheDone) {
  GenerationChannel channel("test");
  EXPECT_TRUE(channel.token({"a", 1}));
  channel.done(done_with(StopReason::end));
  channel.error(ErrorCode::internal, "too late");
  EXPECT_FALSE(channel.token({"b", 2}));
  const auto events = queued(channel);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(terminal_count(events), 1);
  ASSERT_TRUE(std::holds_alternative<DoneEvent>(events.back()));
  EXPECT_EQ(std::get<DoneEvent>(events.back()).reason, StopReason::end);
  EXPECT_EQ(std::get<DoneEvent>(events.back()).backend, "test");
}

TEST(GenerationChannel, ErrorThenDoneQueuesOnlyTheError) {
  GenerationChannel channel("test");
  channel.error(ErrorCode::backend_unavailable, "gone");
  channel.done(done_with(StopReason::end));
  const auto events = queued(channel);
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<ErrorEvent>(events.front()));
  EXPECT_EQ(std::get<ErrorEvent>(events.front()).code, ErrorCode::backend_unavailable);
  EXPECT_EQ(std::get<ErrorEvent>(events.front()).message, "gone");
}

TEST(GenerationChannel, CancelAfterDoneKeepsTheDone) {
  GenerationChannel channel("test");
  GenerationStream stream(channel.state());
  EXPECT_TRUE(channel.token({"a", 1}));
  channel.done(done_with(StopReason::length));
  stream.cancel();
  stream.cancel();
  const auto events = queued(channel);
  EXPECT_EQ(events.size(), 2u);
  EXPECT_EQ(terminal_count(events), 1);

  auto first = stream.next();
  ASSERT_TRUE(first && std::holds_alternative<TokenEvent>(*first));
  auto last = stream.next();
  ASSERT_TRUE(last && std::holds_alternative<DoneEvent>(*last));
  EXPECT_EQ(std::get<DoneEvent>(*last).reason, StopReason::length);
  EXPECT_FALSE(stream.next().has_value());
  EXPECT_TRUE(stream.finished());
}

TEST(GenerationChannel, CancelBeforeDoneEndsCancelledAndStopsTheProducer) {
  GenerationChannel channel("test");
  channel.set_prompt_tokens(7);
  GenerationStream stream(channel.state());
  int hooks_run = 0;
  channel.on_cancel([&] { ++hooks_run; });
  EXPECT_TRUE(channel.token({"a", 1}));
  stream.cancel();
  EXPECT_TRUE(channel.cancelled());
  EXPECT_EQ(hooks_run, 1);
  EXPECT_FALSE(channel.token({"b", 2}));
  channel.done(done_with(StopReason::end));
  channel.error(ErrorCode::internal, "late");
  stream.cancel();
  EXPECT_EQ(hooks_run, 1);
  channel.on_cancel([&] { ++hooks_run; });  // registered after the cancel: runs at once
  EXPECT_EQ(hooks_run, 2);

  const auto events = queued(channel);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(terminal_count(events), 1);
  const auto* done = std::get_if<DoneEvent>(&events.back());
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->reason, StopReason::cancelled);
  EXPECT_EQ(done->backend, "test");
  EXPECT_EQ(done->usage.prompt_tokens, 7u);
  EXPECT_EQ(done->usage.completion_tokens, 1u);
}

TEST(GenerationChannel, CancelWakesAConsumerBlockedInNext) {
  GenerationChannel channel("test");
  GenerationStream stream(channel.state());
  std::promise<void> reading;
  auto consumer = std::async(std::launch::async, [&] {
    std::vector<Event> events;
    reading.set_value();
    while (auto event = stream.next()) events.push_back(std::move(*event));
    return events;
  });
  reading.get_future().wait();
  // Whether the consumer is already asleep in next() or about to enter it, the cancel must
  // end its read; the bound only keeps a hang from stalling the suite.
  stream.cancel();
  ASSERT_EQ(consumer.wait_for(20s), std::future_status::ready) << "next() did not wake";
  const auto events = consumer.get();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<DoneEvent>(events.front()));
  EXPECT_EQ(std::get<DoneEvent>(events.front()).reason, StopReason::cancelled);
}

TEST(GenerationChannel, DroppingTheStreamCancels) {
  GenerationChannel channel("test");
  bool hook_ran = false;
  channel.on_cancel([&] { hook_ran = true; });
  { GenerationStream stream(channel.state()); }
  EXPECT_TRUE(channel.cancelled());
  EXPECT_TRUE(hook_ran);
  EXPECT_FALSE(channel.token({"a", 1}));
}

// A producer emitting tokens then done races a canceller, many times, with the cancel at
// varying points. Each thread marks a shared counter before and after its call, so where the
// calls did not overlap their order is known: a cancel that returned before done was called
// must end the stream with done(cancelled); a done that returned before the cancel began
// must stand. Always exactly one terminal event, the last one queued, and no token after it.
TEST(GenerationChannel, ProducerAndCancellerRacingLeaveExactlyOneTerminal) {
  constexpr int kRounds = 2000;
  constexpr int kTokens = 8;
  std::mt19937 random(12345);
  int cancelled_first = 0;
  int done_first = 0;
  for (int round = 0; round < kRounds; ++round) {
    GenerationChannel channel("race");
    GenerationStream stream(channel.state());
    std::atomic<int> clock{0};
    int done_begin = -1;
    int done_end = -1;
    int cancel_begin = -1;
    int cancel_end = -1;
    const int producer_spin = static_cast<int>(random() % 200);
    const int canceller_spin = static_cast<int>(random() % 200);
    std::atomic<bool> go{false};
    std::thread producer([&] {
      while (!go) std::this_thread::yield();
      for (int i = 0; i < producer_spin; ++i) clock.load();
      for (int i = 0; i < kTokens; ++i) {
        if (!channel.token({"t", i})) break;
      }
      done_begin = clock.fetch_add(1);
      channel.done(done_with(StopReason::end));
      done_end = clock.fetch_add(1);
    });
    std::thread canceller([&] {
      while (!go) std::this_thread::yield();
      for (int i = 0; i < canceller_spin * 4; ++i) clock.load();
      cancel_begin = clock.fetch_add(1);
      stream.cancel();
      cancel_end = clock.fetch_add(1);
    });
    go = true;
    producer.join();
    canceller.join();

    const auto events = queued(channel);
    ASSERT_EQ(terminal_count(events), 1) << "round " << round;
    ASSERT_TRUE(is_terminal(events.back())) << "round " << round;
    const auto* done = std::get_if<DoneEvent>(&events.back());
    ASSERT_NE(done, nullptr) << "round " << round;
    if (cancel_end < done_begin) {
      EXPECT_EQ(done->reason, StopReason::cancelled) << "round " << round;
      ++cancelled_first;
    } else if (done_end < cancel_begin) {
      EXPECT_EQ(done->reason, StopReason::end) << "round " << round;
      ++done_first;
    } else {
      EXPECT_TRUE(done->reason == StopReason::end || done->reason == StopReason::cancelled);
    }
    // The consumer reads the same: the tokens, then that one terminal, then nothing.
    int read_terminals = 0;
    while (auto event = stream.next()) read_terminals += is_terminal(*event) ? 1 : 0;
    EXPECT_EQ(read_terminals, 1);
  }
  // Both orders happened, so both rules were actually checked.
  EXPECT_GT(cancelled_first, 0);
  EXPECT_GT(done_first, 0);
}

}  // namespace
}  // namespace weft
