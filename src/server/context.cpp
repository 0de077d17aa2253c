#include "server/context.hpp"

#include "server/program_host.hpp"
#include "sync/mutex.hpp"

namespace weft::server {

std::string_view to_string(Lifecycle state) {
  switch (state) {
    case Lifecycle::starting:
      return "starting";
    case Lifecycle::loading_model:
      return "loading_model";
    case Lifecycle::ready:
      return "ready";
    case Lifecycle::restarting:
      return "restarting";
    case Lifecycle::draining:
      return "draining";
  }
  return "starting";
}

ServerContext::ServerContext(asio::io_context& io, const ServeConfig& config, LogFunction log)
    : io_(io),
      api_key_(config.api_key),
      auth_timeout_(config.auth_timeout),
      write_timeout_(config.write_timeout),
      max_connections_(config.max_connections),
      log_(std::move(log)),
      admission_(config.parallel, config.queue),
      memory_budget_(config.max_queued_bytes),
      programs_(config.programs_dir.empty() ? nullptr : std::make_unique<ProgramHost>(config)) {}

ServerContext::~ServerContext() = default;

void ServerContext::log(LogLevel level, const std::string& line) const {
  if (log_) log_(level, line);
}

std::shared_ptr<Backend> ServerContext::backend() const {
  sync::MutexLock lock(mutex_);
  return backend_;
}

void ServerContext::set_backend(std::shared_ptr<Backend> backend, std::string model_path) {
  sync::MutexLock lock(mutex_);
  backend_ = std::move(backend);
  model_path_ = std::move(model_path);
}

std::string ServerContext::model_path() const {
  sync::MutexLock lock(mutex_);
  return model_path_;
}

uint64_t ServerContext::add_session(std::weak_ptr<InferenceSession> session) {
  sync::MutexLock lock(mutex_);
  uint64_t id = next_session_++;
  sessions_[id] = std::move(session);
  return id;
}

void ServerContext::remove_session(uint64_t id) {
  sync::MutexLock lock(mutex_);
  sessions_.erase(id);
}

size_t ServerContext::session_count() const {
  sync::MutexLock lock(mutex_);
  return sessions_.size();
}

std::vector<std::shared_ptr<InferenceSession>> ServerContext::sessions() const {
  std::vector<std::shared_ptr<InferenceSession>> live;
  sync::MutexLock lock(mutex_);
  for (const auto& [id, weak] : sessions_) {
    if (auto session = weak.lock()) live.push_back(std::move(session));
  }
  return live;
}

}  // namespace weft::server
