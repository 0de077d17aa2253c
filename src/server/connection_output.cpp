#include "server/connection_output.hpp"

#include <string>

namespace weft::server {

bool output_fits(const Outbox& outbox, bool nothing_waiting, ServerContext& context) {
  if (nothing_waiting || outbox.pending() <= kConnectionOutputBudget) return true;
  context.log(LogLevel::warn, "closing a connection that does not read its answers: more than " +
                                  std::to_string(kConnectionOutputBudget) + " bytes unwritten");
  return false;
}

std::shared_ptr<BudgetAccount> open_budget_account(ServerContext& context,
                                                   std::function<void()> close_now) {
  return context.memory_budget().open([&context, close_now = std::move(close_now)](
                                          size_t held, size_t total, size_t limit) {
    context.log(LogLevel::warn, "closing the connection holding the most queued bytes (" +
                                    std::to_string(held) + "): all connections held " +
                                    std::to_string(total) + ", past the daemon-wide budget of " +
                                    std::to_string(limit) + " (max_queued_bytes)");
    close_now();
  });
}

WriteDeadline::WriteDeadline(const asio::strand<asio::any_io_executor>& strand,
                             ServerContext& context, std::function<bool()> waiting,
                             std::function<void()> stalled)
    : timer_(strand),
      context_(context),
      waiting_(std::move(waiting)),
      stalled_(std::move(stalled)) {}

void WriteDeadline::started(std::shared_ptr<void> owner) {
  progressed();
  if (!armed_) watch(context_.write_timeout(), std::move(owner));
}

void WriteDeadline::watch(std::chrono::steady_clock::duration wait, std::shared_ptr<void> owner) {
  armed_ = true;
  timer_.expires_after(wait);
  timer_.async_wait([this, owner = std::move(owner)](std::error_code error) mutable {
    armed_ = false;
    if (error || !waiting_()) return;
    const auto timeout = context_.write_timeout();
    const auto stalled = std::chrono::steady_clock::now() - last_progress_;
    if (stalled < timeout) {
      watch(timeout - stalled, std::move(owner));
      return;
    }
    context_.log(LogLevel::warn, "closing a connection that read nothing for " +
                                     std::to_string(timeout.count()) + " ms (the write timeout)");
    stalled_();
  });
}

}  // namespace weft::server
