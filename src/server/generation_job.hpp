// Runs one admitted generation on a worker thread: consumes the backend's stream and hands
// each frame to the connection (which writes it on its strand), with backpressure.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <string>

#include "server/context.hpp"
#include "server/memory_budget.hpp"
#include "sync/mutex.hpp"
#include "weft/backend.hpp"
#include "weft/generation.hpp"

namespace weft::server {

// Bytes handed to one connection but not yet written. A worker waits while the reader is
// too slow, so a slow reader holds back only its own generation. The bytes also count
// against the daemon-wide budget through the connection's account, once it has one.
class Outbox {
 public:
  static constexpr size_t kHighWater = 1u << 20;

  void set_account(std::shared_ptr<BudgetAccount> account);

  void add(size_t bytes);
  void written(size_t bytes);
  size_t pending() const;
  // Blocks while more than kHighWater bytes are pending; false once the connection closed.
  bool wait_for_room();
  void close();

 private:
  mutable sync::Mutex mutex_;
  std::condition_variable changed_;
  size_t pending_ WEFT_GUARDED_BY(mutex_) = 0;
  bool closed_ WEFT_GUARDED_BY(mutex_) = false;
  std::shared_ptr<BudgetAccount> account_ WEFT_GUARDED_BY(mutex_);
};

// Lets the connection cancel a generation whose stream lives on the worker thread.
class GenerationHandle {
 public:
  // False when cancel() came first: the caller must cancel the stream itself.
  bool attach(GenerationStream* stream);
  void detach();
  void cancel();
  bool cancelled() const;

 private:
  mutable sync::Mutex mutex_;
  GenerationStream* stream_ WEFT_GUARDED_BY(mutex_) = nullptr;
  bool cancelled_ WEFT_GUARDED_BY(mutex_) = false;
};

struct GenerationJob {
  GenerationRequest request;
  std::chrono::steady_clock::time_point received;
  std::shared_ptr<GenerationHandle> handle;
  std::shared_ptr<Outbox> outbox;
  std::function<void(std::string)> deliver;  // posts one frame to the connection
  std::function<void()> finished;            // posts "next request" to the connection
};

// backend.generate, with what it throws turned into the stream's error event, so that every
// request ends with exactly one terminal event.
GenerationStream start_generation(Backend& backend, const GenerationRequest& request);

// On a worker thread. Ends with exactly one done or error frame delivered, the admission
// slot released, and one request log line.
void run_generation(ServerContext& context, GenerationJob job);

}  // namespace weft::server
