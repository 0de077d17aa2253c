#include "server/program_host.hpp"

#include <filesystem>

#include "protocol/response_codec.hpp"
#include "server/context.hpp"
#include "server/program_runtime.hpp"
#include "server/request_log.hpp"
#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::server {
namespace {

using nlohmann::json;
using Kind = program::ProgramRunResult::Kind;

std::string why_stopped(ProgramHandle::Stop why) {
  switch (why) {
    case ProgramHandle::Stop::reloading:
      return "the daemon is reloading its model: the program was stopped";
    case ProgramHandle::Stop::shutting_down:
      return "the daemon is shutting down: the program was stopped";
    case ProgramHandle::Stop::client_gone:
    case ProgramHandle::Stop::none:
      break;
  }
  return "the program was stopped";
}

// What the request log says about how a program ended.
std::string stop_reason(Kind kind) {
  switch (kind) {
    case Kind::returned:
      return "end";
    case Kind::stopped:
      return "cancelled";
    case Kind::failed:
    case Kind::timed_out:
    case Kind::vanished:
      break;
  }
  return "error";
}

struct Detach {
  ProgramHandle& handle;
  ~Detach() { handle.detach(); }
};

// Every frame of a program goes through here, so that each counts against the connection's
// byte budget.
void deliver(const ProgramJob& job, std::string frame) {
  job.outbox->add(frame.size());
  job.deliver(std::move(frame));
}

// session.sendFile in the daemon: each file becomes a `file` frame in the request's stream,
// in the order of the program's sends (session.send's messages included). Past the limits the
// program's sendFile fails (resource_exhausted) and the run goes on.
std::function<void(const std::string&)> file_sender(const ProgramJob& job) {
  return [&job, sent = int64_t{0}, sent_bytes = size_t{0}](const std::string& bytes) mutable {
    if (bytes.size() > protocol::kMaxProgramFileBytes) {
      throw Error(ErrorCode::queue_full,  // the program protocol calls it resource_exhausted
                  "session.sendFile: " + std::to_string(bytes.size()) + " bytes, at most " +
                      std::to_string(protocol::kMaxProgramFileBytes) + " per file");
    }
    if (sent_bytes + bytes.size() > protocol::kMaxProgramFilesBytes) {
      throw Error(ErrorCode::queue_full, "session.sendFile: the run's files would pass " +
                                             std::to_string(protocol::kMaxProgramFilesBytes) +
                                             " bytes (the limit per run)");
    }
    if (!job.outbox->wait_for_room()) return;  // gone: the connection stops the program
    sent_bytes += bytes.size();
    deliver(job, protocol::encode_program_file(job.request.id, ++sent, bytes));
  };
}

}  // namespace

bool ProgramHandle::attach(program::ProgramRun* run) {
  const sync::MutexLock lock(mutex_);
  run_ = run;
  // Fits: the early messages were held to the same bound.
  for (auto& message : early_) run->deliver(std::move(message));
  early_.clear();
  early_bytes_ = 0;
  if (input_ended_) run->end_input();
  return stopped_ == Stop::none;
}

void ProgramHandle::detach() {
  const sync::MutexLock lock(mutex_);
  run_ = nullptr;
  finished_ = true;
}

bool ProgramHandle::deliver(std::string message) {
  const sync::MutexLock lock(mutex_);
  if (finished_ || input_ended_) return false;
  if (run_) return run_->deliver(std::move(message));
  if (early_bytes_ + message.size() > program::kMaxInboxBytes) return false;
  early_bytes_ += message.size();
  early_.push_back(std::move(message));
  return true;
}

void ProgramHandle::end_input() {
  const sync::MutexLock lock(mutex_);
  input_ended_ = true;
  if (run_) run_->end_input();
}

void ProgramHandle::stop(Stop why) {
  const sync::MutexLock lock(mutex_);
  if (stopped_ == Stop::none) stopped_ = why;
  // ProgramRun::stop is safe from any thread while run() is under way.
  if (run_) run_->stop();
}

ProgramHandle::Stop ProgramHandle::stopped() const {
  const sync::MutexLock lock(mutex_);
  return stopped_;
}

// The sandbox is planned once, at start: a daemon told to run programs where Node cannot run
// (or a sandbox layer named by --program-sandbox is missing) fails before it serves.
ProgramHost::ProgramHost(const ServeConfig& config)
    : config_(config), plan_([&] {
        program::ProgramLaunch probe;
        probe.sandbox = program::parse_sandbox(config.program_sandbox);
        return program::plan_sandbox(probe);
      }()) {}

ProgramHost::~ProgramHost() = default;

std::optional<ProgramHost::Refusal> ProgramHost::admit(
    const protocol::ProgramRequest& request, const std::shared_ptr<ProgramHandle>& handle) {
  // The name was checked where it entered (no '/', no ".."): it names a file in the directory.
  const auto path = std::filesystem::path(config_.programs_dir) / (request.name + ".js");
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return Refusal{ErrorCode::invalid_request,
                   "no program '" + request.name + "' in the daemon's programs directory"};
  }
  const sync::MutexLock lock(mutex_);
  if (!accepting_) {
    return Refusal{ErrorCode::backend_unavailable,
                   "the daemon is not taking programs; retry later"};
  }
  if (running_.size() >= config_.max_programs) {
    return Refusal{ErrorCode::queue_full, std::to_string(config_.max_programs) +
                                              " programs are running (--max-programs); retry "
                                              "later"};
  }
  running_.insert(handle);
  return std::nullopt;
}

void ProgramHost::run(ServerContext& context, ProgramJob job) {
  RequestRecord record;
  record.id = job.request.id;
  record.program = job.request.name;
  std::string frame;
  try {
    auto backend = context.backend();
    if (!backend) throw Error(ErrorCode::backend_unavailable, "no backend is loaded");
    record.backend = backend->name();
    program::ProgramRunOptions options;
    options.program_path = config_.programs_dir + "/" + job.request.name + ".js";
    options.sdk_dir = config_.program_sdk_dir;
    options.input = json::parse(job.request.input_json);
    options.seed = job.request.seed;
    options.timeout = config_.program_timeout;
    options.max_pages = static_cast<int64_t>(config_.program_max_pages);
    options.max_contexts = config_.program_max_contexts;
    options.sandbox = program::parse_sandbox(config_.program_sandbox);
    options.plan = plan_;
    options.on_send = [&job](const std::string& message) {
      // A client that does not read holds back only its own program (at its next send).
      if (!job.outbox->wait_for_room()) return;  // gone: the connection stops the program
      deliver(job, protocol::encode_program_message(job.request.id, message));
    };
    options.files = std::move(job.request.files);
    options.on_send_file = file_sender(job);
    program::ProgramRun run(runtime_for(context), hub_, std::move(options));
    if (!job.handle->attach(&run)) run.stop();
    // Detached before `run` goes, also when run() throws: a stop() from the connection must
    // never reach a destroyed run.
    const Detach detach{*job.handle};
    const auto result = run.run();
    record.stop_reason = stop_reason(result.kind);
    if (result.kind != Kind::returned) {
      record.error = result.kind == Kind::stopped    ? ErrorCode::backend_unavailable
                     : result.kind == Kind::vanished ? ErrorCode::internal
                                                     : ErrorCode::invalid_request;
    }
    frame = terminal_frame(job, result, record.backend);
  } catch (const Error& error) {
    record.stop_reason = "error";
    record.error = error.code();
    frame = protocol::encode_error(job.request.id, error.code(), error.what());
  } catch (const std::exception& error) {
    record.stop_reason = "error";
    record.error = ErrorCode::internal;
    frame = protocol::encode_error(job.request.id, ErrorCode::internal, error.what());
  }
  job.handle->detach();
  deliver(job, std::move(frame));
  {
    const sync::MutexLock lock(mutex_);
    running_.erase(job.handle);
  }
  record.total = std::chrono::steady_clock::now() - job.received;
  context.log(LogLevel::info, format_request_log(record));
  job.finished();
}

std::string ProgramHost::terminal_frame(const ProgramJob& job,
                                        const program::ProgramRunResult& result,
                                        const std::string& backend) const {
  const auto& id = job.request.id;
  switch (result.kind) {
    case Kind::returned:
      return protocol::encode_program_done(
          id, result.value.dump(-1, ' ', false, json::error_handler_t::replace), job.request.name,
          backend);
    case Kind::failed:
      return protocol::encode_program_error(id, ErrorCode::invalid_request, "failed",
                                            describe(result, config_.program_timeout));
    case Kind::timed_out:
      return protocol::encode_program_error(
          id, ErrorCode::invalid_request, "timeout",
          describe(result, config_.program_timeout) + " (--program-timeout)");
    case Kind::stopped:
      return protocol::encode_program_error(id, ErrorCode::backend_unavailable, "stopped",
                                            why_stopped(job.handle->stopped()));
    case Kind::vanished:
      break;
  }
  return protocol::encode_program_error(id, ErrorCode::internal, "exited", result.message);
}

void ProgramHost::stop_all(ProgramHandle::Stop why) {
  std::set<std::shared_ptr<ProgramHandle>> running;
  {
    const sync::MutexLock lock(mutex_);
    accepting_ = false;
    running = running_;
    runtime_.reset();  // running programs keep theirs; the next one opens a fresh one
  }
  for (const auto& handle : running) handle->stop(why);
}

void ProgramHost::accept() {
  const sync::MutexLock lock(mutex_);
  accepting_ = true;
}

size_t ProgramHost::running() const {
  const sync::MutexLock lock(mutex_);
  return running_.size();
}

json ProgramHost::stats() const {
  std::shared_ptr<ContextRuntime> runtime;
  size_t running = 0;
  {
    const sync::MutexLock lock(mutex_);
    runtime = runtime_;
    running = running_.size();
  }
  const auto usage = runtime ? runtime->usage() : ContextPoolUsage{};
  return {{"running", running},
          {"contexts", usage.context_references},
          {"pages_in_use", usage.pages_in_use}};
}

std::shared_ptr<ContextRuntime> ProgramHost::runtime_for(ServerContext& context) {
  auto backend = context.backend();
  if (!backend) throw Error(ErrorCode::backend_unavailable, "no backend is loaded");
  const sync::MutexLock opening(open_mutex_);
  {
    const sync::MutexLock lock(mutex_);
    if (runtime_ && runtime_backend_.lock() == backend) return runtime_;
  }
  // Outside mutex_: stats() and admit() on the event loop must never wait for it.
  auto runtime = program_runtime(*backend);
  const sync::MutexLock lock(mutex_);
  runtime_ = runtime;
  runtime_backend_ = backend;
  return runtime;
}

}  // namespace weft::server
