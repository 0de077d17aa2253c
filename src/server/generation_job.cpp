#include "server/generation_job.hpp"

#include <algorithm>

#include "protocol/response_codec.hpp"
#include "server/request_log.hpp"
#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::server {

void Outbox::set_account(std::shared_ptr<BudgetAccount> account) {
  sync::MutexLock lock(mutex_);
  account_ = std::move(account);
}

// The account is charged outside the lock: a charge past the daemon-wide budget evicts
// connections, which must not wait on this outbox.
void Outbox::add(size_t bytes) {
  std::shared_ptr<BudgetAccount> account;
  {
    sync::MutexLock lock(mutex_);
    pending_ += bytes;
    account = account_;
  }
  if (account) account->charge_output(bytes);
}

void Outbox::written(size_t bytes) {
  std::shared_ptr<BudgetAccount> account;
  {
    sync::MutexLock lock(mutex_);
    bytes = std::min(bytes, pending_);
    pending_ -= bytes;
    account = account_;
    changed_.notify_all();
  }
  if (account) account->release_output(bytes);
}

size_t Outbox::pending() const {
  sync::MutexLock lock(mutex_);
  return pending_;
}

bool Outbox::wait_for_room() {
  sync::MutexLock lock(mutex_);
  while (!closed_ && pending_ > kHighWater) lock.wait(changed_);
  return !closed_;
}

void Outbox::close() {
  std::shared_ptr<BudgetAccount> account;
  {
    sync::MutexLock lock(mutex_);
    closed_ = true;
    account = std::move(account_);
    changed_.notify_all();
  }
  if (account) account->close();  // the queued frames are dropped with the connection
}

bool GenerationHandle::attach(GenerationStream* stream) {
  sync::MutexLock lock(mutex_);
  stream_ = stream;
  return !cancelled_;
}

void GenerationHandle::detach() {
  sync::MutexLock lock(mutex_);
  stream_ = nullptr;
}

void GenerationHandle::cancel() {
  sync::MutexLock lock(mutex_);
  cancelled_ = true;
  // GenerationStream::cancel is safe concurrently with next() on the worker thread.
  if (stream_) stream_->cancel();
}

bool GenerationHandle::cancelled() const {
  sync::MutexLock lock(mutex_);
  return cancelled_;
}

namespace {

using Clock = std::chrono::steady_clock;

// Consumes the stream, delivering frames; returns the log record.
RequestRecord stream_frames(GenerationStream& stream, const GenerationJob& job,
                            const std::string& backend_name) {
  RequestRecord record;
  record.id = job.request.id;
  record.backend = backend_name;
  std::string text;
  bool room = true;
  while (auto event = stream.next()) {
    std::string frame;
    if (auto* token = std::get_if<TokenEvent>(&*event)) {
      if (!record.time_to_first_token) record.time_to_first_token = Clock::now() - job.received;
      ++record.completion_tokens;
      if (token->text.empty()) continue;
      text += token->text;
      frame = protocol::encode_token(job.request.id, token->text);
    } else if (auto* done = std::get_if<DoneEvent>(&*event)) {
      if (!done->backend.empty()) record.backend = done->backend;
      record.prompt_tokens = done->usage.prompt_tokens;
      record.cached_prompt_tokens = done->usage.cached_prompt_tokens;
      record.completion_tokens = done->usage.completion_tokens;
      record.stop_reason = std::string(to_string(done->reason));
      frame =
          protocol::encode_done(job.request.id, text, done->usage, done->reason, record.backend);
    } else {
      const auto& error = std::get<ErrorEvent>(*event);
      record.stop_reason = "error";
      record.error = error.code;
      frame = protocol::encode_error(job.request.id, error.code, error.message);
    }
    if (room && !job.outbox->wait_for_room()) {
      // The connection is gone: stop the backend, but still drain to the terminal event.
      room = false;
      stream.cancel();
    }
    job.outbox->add(frame.size());
    job.deliver(std::move(frame));
  }
  record.total = Clock::now() - job.received;
  return record;
}

}  // namespace

void run_generation(ServerContext& context, GenerationJob job) {
  auto backend = context.backend();
  RequestRecord record;
  if (!backend) {
    record.id = job.request.id;
    record.stop_reason = "error";
    record.error = ErrorCode::backend_unavailable;
    std::string frame = protocol::encode_error(job.request.id, ErrorCode::backend_unavailable,
                                               "no backend is loaded");
    job.outbox->add(frame.size());
    job.deliver(std::move(frame));
  } else {
    GenerationStream stream = start_generation(*backend, job.request);
    if (!job.handle->attach(&stream)) stream.cancel();
    record = stream_frames(stream, job, backend->name());
    job.handle->detach();
  }
  context.admission().finish();
  context.log(LogLevel::info, format_request_log(record));
  job.finished();
}

GenerationStream start_generation(Backend& backend, const GenerationRequest& request) {
  try {
    return backend.generate(request);
  } catch (const Error& error) {
    GenerationChannel channel(backend.name());
    channel.error(error.code(), error.what());
    return GenerationStream(channel.state());
  } catch (const std::exception& error) {
    GenerationChannel channel(backend.name());
    channel.error(ErrorCode::internal, error.what());
    return GenerationStream(channel.state());
  }
}

}  // namespace weft::server
