// What the output side of every daemon connection shares (the v1 inference socket, the inferd
// v2 and embeddings sockets): one byte budget for everything queued, an account in the
// daemon-wide budget, and a write deadline that closes a connection whose peer stops reading
// (docs/reliability.md).
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "server/asio.hpp"
#include "server/context.hpp"
#include "server/generation_job.hpp"

namespace weft::server {

// Unwritten output a connection may hold, frames of every kind together.
inline constexpr size_t kConnectionOutputBudget = 4u << 20;

// Whether one more frame may be queued: always when nothing else waits (so one large answer
// still goes out), otherwise while the unwritten bytes stay within the budget. Logs a refusal;
// the caller then closes the connection.
bool output_fits(const Outbox& outbox, bool nothing_waiting, ServerContext& context);

// The connection's account in the daemon-wide budget (server/memory_budget.hpp). When the
// budget picks this connection to go, the choice is logged and `close_now` is called: from
// any thread, so it must only post the close to the connection's strand.
std::shared_ptr<BudgetAccount> open_budget_account(ServerContext& context,
                                                   std::function<void()> close_now);

// One timer per connection, not one per write: when it fires it looks at when the last byte
// went out, and waits again for the rest of the timeout if that was recent. Used on the
// connection's strand only.
class WriteDeadline {
 public:
  // `waiting`: whether output is waiting for the peer (false once closed); `stalled`: closes
  // the connection. Both run on the strand.
  WriteDeadline(const asio::strand<asio::any_io_executor>& strand, ServerContext& context,
                std::function<bool()> waiting, std::function<void()> stalled);

  // A write starts after the output was idle: the timeout counts from now. `owner` (the
  // connection) is kept alive while the timer waits.
  void started(std::shared_ptr<void> owner);
  // Bytes went out: the timeout counts from now.
  void progressed() { last_progress_ = std::chrono::steady_clock::now(); }
  void cancel() { timer_.cancel(); }

 private:
  void watch(std::chrono::steady_clock::duration wait, std::shared_ptr<void> owner);

  asio::steady_timer timer_;
  ServerContext& context_;
  std::function<bool()> waiting_;
  std::function<void()> stalled_;
  std::chrono::steady_clock::time_point last_progress_;
  bool armed_ = false;
};

}  // namespace weft::server
