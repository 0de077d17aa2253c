// What the listeners, sessions and generation workers share: the backend, admission,
// lifecycle state, worker threads and the log. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include "server/asio.hpp"

#include "server/admission.hpp"
#include "server/config.hpp"
#include "server/memory_budget.hpp"
#include "server/worker_set.hpp"
#include "sync/mutex.hpp"
#include "weft/backend.hpp"

namespace weft::server {

enum class Lifecycle { starting, loading_model, ready, restarting, draining };
std::string_view to_string(Lifecycle state);

enum class LogLevel { debug, info, warn, error };
using LogFunction = std::function<void(LogLevel, const std::string&)>;

class InferenceSession;
class ProgramHost;

class ServerContext {
 public:
  ServerContext(asio::io_context& io, const ServeConfig& config, LogFunction log);
  ~ServerContext();

  asio::io_context& io() { return io_; }
  const std::string& api_key() const { return api_key_; }
  std::chrono::milliseconds auth_timeout() const { return auth_timeout_; }
  std::chrono::milliseconds write_timeout() const { return write_timeout_; }
  uint32_t max_connections() const { return max_connections_; }
  Admission& admission() { return admission_; }
  // The daemon-wide bound on queued bytes; each connection opens an account in it.
  MemoryBudget& memory_budget() { return memory_budget_; }
  WorkerSet& workers() { return workers_; }
  // nullptr unless the daemon serves programs (--programs DIR).
  ProgramHost* programs() { return programs_.get(); }
  void log(LogLevel level, const std::string& line) const;

  Lifecycle lifecycle() const { return lifecycle_.load(); }
  void set_lifecycle(Lifecycle state) { lifecycle_.store(state); }

  std::shared_ptr<Backend> backend() const;
  // `model_path`: the --model setting it was loaded with (a file, or a remote model name).
  void set_backend(std::shared_ptr<Backend> backend, std::string model_path = "");
  std::string model_path() const;

  uint64_t add_session(std::weak_ptr<InferenceSession> session);
  void remove_session(uint64_t id);
  size_t session_count() const;
  std::vector<std::shared_ptr<InferenceSession>> sessions() const;
  uint64_t next_ticket() { return next_ticket_.fetch_add(1); }

 private:
  asio::io_context& io_;
  const std::string api_key_;
  const std::chrono::milliseconds auth_timeout_;
  const std::chrono::milliseconds write_timeout_;
  const uint32_t max_connections_;
  LogFunction log_;
  Admission admission_;
  MemoryBudget memory_budget_;
  // Before workers_, so that the program threads are joined before the host goes.
  std::unique_ptr<ProgramHost> programs_;
  WorkerSet workers_;
  std::atomic<Lifecycle> lifecycle_{Lifecycle::starting};
  mutable sync::Mutex mutex_;
  std::shared_ptr<Backend> backend_ WEFT_GUARDED_BY(mutex_);
  std::string model_path_ WEFT_GUARDED_BY(mutex_);
  uint64_t next_session_ WEFT_GUARDED_BY(mutex_) = 0;
  std::map<uint64_t, std::weak_ptr<InferenceSession>> sessions_ WEFT_GUARDED_BY(mutex_);
  std::atomic<uint64_t> next_ticket_{1};
};

}  // namespace weft::server
