#include "server/inference_session.hpp"

#include <poll.h>
#include <algorithm>

#include "protocol/response_codec.hpp"
#include "server/auth.hpp"
#include "server/request_log.hpp"

namespace weft::server {
namespace {

// Requests read ahead of the one being served; beyond this the connection stops reading
// until it catches up, so one client cannot queue unbounded memory.
constexpr size_t kMaxPipelined = 16;

}  // namespace

InferenceSession::InferenceSession(Socket socket, ServerContext& context, Transport transport)
    : socket_(std::move(socket)),
      context_(context),
      transport_(transport),
      strand_(asio::make_strand(socket_.get_executor())),
      authenticated_(transport == Transport::unix_socket || context.api_key().empty()),
      first_line_deadline_(strand_),
      write_deadline_(
          strand_, context, [this] { return !closed_ && writing_; }, [this] { close(); }) {
  if (!authenticated_) reader_.set_max_frame_bytes(kMaxAuthLineBytes);
}

void InferenceSession::start() {
  session_id_ = context_.add_session(weak_from_this());
  budget_ = open_budget_account(context_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->close_now();
  });
  outbox_->set_account(budget_);
  asio::post(strand_, [self = shared_from_this()] {
    self->start_first_line_deadline();
    self->read_more();
  });
}

// With an API key, a TCP peer that never completes its auth line (a port scan, a stuck or
// hostile client) would otherwise hold a descriptor and a session for ever. Without a key
// the daemon behaves like inferd: clients may dial early and send their request later, so
// no deadline applies; Unix-socket peers passed the file permissions and may be slow too.
void InferenceSession::start_first_line_deadline() {
  if (transport_ != Transport::tcp || context_.api_key().empty()) return;
  first_line_deadline_.expires_after(context_.auth_timeout());
  first_line_deadline_.async_wait([self = shared_from_this()](std::error_code error) {
    if (error || self->first_line_seen_ || self->closed_) return;
    self->context_.log(LogLevel::info,
                       "closing a TCP connection that sent no complete first line within " +
                           std::to_string(self->context_.auth_timeout().count()) + " ms");
    self->close();
  });
}

void InferenceSession::abort() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->closed_) return;
    self->stop_reading_ = true;
    self->pending_.clear();
    if (self->busy_) {
      if (self->context_.admission().withdraw(self->ticket_)) {
        self->busy_ = false;
        self->write(protocol::encode_error(self->current_id_, ErrorCode::backend_unavailable,
                                           "the daemon is shutting down"));
      } else if (self->handle_) {
        self->handle_->cancel();
      } else if (self->program_) {
        self->program_->stop(ProgramHandle::Stop::shutting_down);
      }
    }
    if (!self->busy_) self->close_after_flush();
  });
}

void InferenceSession::close_now() {
  asio::post(strand_, [self = shared_from_this()] { self->close(); });
}

void InferenceSession::read_more() {
  if (closed_ || reading_ || stop_reading_ || pending_.size() >= kMaxPipelined) return;
  reading_ = true;
  socket_.async_read_some(asio::buffer(read_buffer_),
                          asio::bind_executor(strand_, [self = shared_from_this()](
                                                           std::error_code error, size_t bytes) {
                            self->on_read(error, bytes);
                          }));
}

void InferenceSession::on_read(std::error_code error, size_t bytes) {
  reading_ = false;
  if (closed_) return;
  if (error == asio::error::eof) {
    on_eof();
    return;
  }
  if (error) {
    close();  // reset or aborted: the peer is gone, cancel what it asked for
    return;
  }
  reader_.append(std::string_view(read_buffer_.data(), bytes));
  resize_read_buffer(bytes);
  extract_frames();
  pump();
  read_more();
}

// Most connections send a line now and then: a small buffer serves them, and only a peer
// that keeps it full gets a bigger one, until it goes quiet again.
void InferenceSession::resize_read_buffer(size_t bytes_read) {
  if (bytes_read == read_buffer_.size() && read_buffer_.size() < kMaxReadBuffer) {
    read_buffer_.resize(read_buffer_.size() * 2);
  } else if (bytes_read < kMinReadBuffer && read_buffer_.size() > kMinReadBuffer) {
    std::vector<char>(kMinReadBuffer).swap(read_buffer_);
  }
}

// A Unix-socket peer that closed (rather than shut down its writing side) shows POLLHUP
// at once; a TCP peer's close shows up on our next write instead.
bool InferenceSession::peer_fully_closed() {
  pollfd poller{socket_.native_handle(), POLLOUT, 0};
  if (::poll(&poller, 1, 0) < 0) return false;
  return (poller.revents & (POLLHUP | POLLERR)) != 0;
}

void InferenceSession::on_eof() {
  stop_reading_ = true;
  if (peer_fully_closed()) {
    close();
    return;
  }
  // Half-close: the last line without `\n` is still a frame, and what was asked is served.
  reader_.finish();
  extract_frames();
  pump();
}

void InferenceSession::extract_frames() {
  std::string line;
  while (!closed_) {
    auto status = reader_.next(line);
    if (status == protocol::FrameReader::Status::frame) {
      handle_line(line);
      if (stop_reading_ && !reader_.finished()) return;
      continue;
    }
    if (status == protocol::FrameReader::Status::too_large) {
      stop_reading_ = true;
      if (!authenticated_) {
        // As for a wrong key: no frame to a peer that has not authenticated.
        context_.log(LogLevel::info, "closing a TCP connection whose auth line passed " +
                                         std::to_string(kMaxAuthLineBytes) + " bytes");
        close();
        return;
      }
      pending_.push_back({FatalFrame{ErrorCode::frame_too_large,
                                     "frame exceeds the 64 MiB limit (67108864 bytes)"},
                          std::chrono::steady_clock::now()});
    }
    return;
  }
}

void InferenceSession::handle_line(const std::string& line) {
  auto received = std::chrono::steady_clock::now();
  if (!first_line_seen_) {
    first_line_seen_ = true;
    first_line_deadline_.cancel();
  }
  const size_t waiting_before = pending_.size();
  auto decoded = protocol::decode_request(line);
  if (!authenticated_) {
    // Wrong, missing or malformed auth: close without a frame, as the spec demands.
    auto* auth = std::get_if<protocol::AuthFrame>(&decoded);
    if (!auth || !keys_match(auth->key, context_.api_key())) {
      close();
      return;
    }
    authenticated_ = true;
    reader_.set_max_frame_bytes(protocol::kMaxFrameBytes);
    return;
  }
  if (auto* auth = std::get_if<protocol::AuthFrame>(&decoded)) {
    // A bare auth line needs no answer here; one that is also a request gets its one
    // terminal frame, like any other request.
    if (auth->request_id) {
      pending_.push_back({protocol::InvalidRequest{*auth->request_id,
                                                   "a request must not have \"type\":\"auth\" "
                                                   "(that is the TCP authentication line)"},
                          received});
    }
    return;
  }
  if (auto* request = std::get_if<protocol::DecodedRequest>(&decoded)) {
    pending_.push_back({std::move(*request), received});
  } else if (auto* program = std::get_if<protocol::ProgramRequest>(&decoded)) {
    pending_.push_back({std::move(*program), received, std::make_shared<ProgramHandle>()});
  } else if (auto* input = std::get_if<protocol::ProgramInput>(&decoded)) {
    route_program_input(std::move(*input));
  } else if (auto* invalid = std::get_if<protocol::InvalidRequest>(&decoded)) {
    pending_.push_back({std::move(*invalid), received});
  } else {
    stop_reading_ = true;
    pending_.push_back({FatalFrame{ErrorCode::invalid_request,
                                   std::get<protocol::UnparseableFrame>(decoded).message},
                        received});
  }
  if (pending_.size() > waiting_before) pending_.back().line_bytes = line.size();
}

void InferenceSession::pump() {
  serve_waiting();
  count_input();
}

void InferenceSession::count_input() {
  if (closed_) return;
  size_t bytes = reader_.buffered_bytes();
  for (const Pending& waiting : pending_) bytes += waiting.line_bytes;
  budget_->set_input(bytes);
}

void InferenceSession::serve_waiting() {
  while (!closed_ && !busy_ && !close_after_flush_ && !pending_.empty()) {
    Pending next = std::move(pending_.front());
    pending_.pop_front();
    if (!serve(std::move(next))) return;
  }
  if (closed_ || busy_) return;
  if (pending_.empty() && stop_reading_) {
    close_after_flush();
    return;
  }
  read_more();
}

// Returns false when the connection must stop serving (a fatal frame).
bool InferenceSession::serve(Pending pending) {
  if (auto* fatal = std::get_if<FatalFrame>(&pending.item)) {
    write(protocol::encode_error("", fatal->code, fatal->message));
    pending_.clear();
    close_after_flush();
    return false;
  }
  if (auto* invalid = std::get_if<protocol::InvalidRequest>(&pending.item)) {
    refuse(invalid->id, ErrorCode::invalid_request, invalid->message, pending.received);
    return true;
  }
  auto* program = std::get_if<protocol::ProgramRequest>(&pending.item);
  auto* decoded = std::get_if<protocol::DecodedRequest>(&pending.item);
  Lifecycle state = context_.lifecycle();
  if (state != Lifecycle::ready) {
    refuse(program ? program->id : decoded->request.id, ErrorCode::backend_unavailable,
           "the daemon is " + std::string(to_string(state)) + "; retry later", pending.received);
    return true;
  }
  if (program) {
    submit_program(std::move(*program), std::move(pending.program), pending.received);
  } else {
    submit(std::move(*decoded), pending.received);
  }
  return true;
}

void InferenceSession::submit(protocol::DecodedRequest decoded,
                              std::chrono::steady_clock::time_point received) {
  busy_ = true;
  ticket_ = context_.next_ticket();
  handle_ = std::make_shared<GenerationHandle>();
  std::string id = decoded.request.id;
  current_id_ = id;

  auto self = shared_from_this();
  GenerationJob job;
  job.request = std::move(decoded.request);
  job.received = received;
  job.handle = handle_;
  job.outbox = outbox_;
  job.deliver = [self](std::string frame) {
    asio::post(self->strand_, [self, frame = std::move(frame)]() mutable {
      self->write(std::move(frame), /*counted_by_worker=*/true);
    });
  };
  job.finished = [self] { asio::post(self->strand_, [self] { self->on_generation_finished(); }); };
  auto start = [&context = context_, job = std::move(job)]() mutable {
    context.workers().spawn(
        [&context, job = std::move(job)]() mutable { run_generation(context, std::move(job)); });
  };
  if (context_.admission().submit(ticket_, std::move(start)) == Admission::Outcome::rejected) {
    busy_ = false;
    handle_.reset();
    refuse(id, ErrorCode::queue_full, "the admission queue is full; retry later", received);
  }
}

// A program runs on a worker thread of its own, outside the generations' admission (it is
// capped by --max-programs instead); its frames come back through the strand like tokens.
void InferenceSession::submit_program(protocol::ProgramRequest request,
                                      std::shared_ptr<ProgramHandle> handle,
                                      std::chrono::steady_clock::time_point received) {
  ProgramHost* programs = context_.programs();
  if (!programs) {
    refuse(request.id, ErrorCode::invalid_request,
           "this daemon runs no programs (start it with --programs DIR)", received);
    return;
  }
  if (auto refusal = programs->admit(request, handle)) {
    refuse(request.id, refusal->code, refusal->message, received);
    return;
  }
  busy_ = true;
  program_ = handle;
  current_id_ = request.id;
  auto self = shared_from_this();
  ProgramJob job;
  job.request = std::move(request);
  job.received = received;
  job.handle = std::move(handle);
  job.outbox = outbox_;
  job.deliver = [self](std::string frame) {
    asio::post(self->strand_, [self, frame = std::move(frame)]() mutable {
      self->write(std::move(frame), /*counted_by_worker=*/true);
    });
  };
  job.finished = [self] { asio::post(self->strand_, [self] { self->on_generation_finished(); }); };
  context_.workers().spawn([&context = context_, programs, job = std::move(job)]() mutable {
    programs->run(context, std::move(job));
  });
}

void InferenceSession::route_program_input(protocol::ProgramInput input) {
  if (!input.error.empty()) {
    write(protocol::encode_message_refused(input.id, ErrorCode::invalid_request, input.error));
    return;
  }
  std::shared_ptr<ProgramHandle> target;
  if (program_ && current_id_ == input.id) {
    target = program_;
  } else {
    const auto waiting = std::ranges::find_if(pending_, [&](const Pending& pending) {
      const auto* program = std::get_if<protocol::ProgramRequest>(&pending.item);
      return program && program->id == input.id;
    });
    if (waiting != pending_.end()) target = waiting->program;
  }
  if (!target) {
    write(protocol::encode_message_refused(
        input.id, ErrorCode::invalid_request,
        "no program request with this id runs or waits on this connection"));
    return;
  }
  if (input.end) {
    target->end_input();
  } else if (!target->deliver(std::move(input.content))) {
    write(protocol::encode_message_refused(input.id, ErrorCode::queue_full,
                                           "the program has ended its input or holds " +
                                               std::to_string(program::kMaxInboxBytes) +
                                               " bytes of messages it has not received"));
  }
}

void InferenceSession::on_generation_finished() {
  busy_ = false;
  handle_.reset();
  program_.reset();
  pump();
}

void InferenceSession::refuse(const std::string& id, ErrorCode code, const std::string& message,
                              std::chrono::steady_clock::time_point received) {
  write(protocol::encode_error(id, code, message));
  RequestRecord record;
  record.id = id;
  auto backend = context_.backend();
  record.backend = backend ? backend->name() : "";
  record.total = std::chrono::steady_clock::now() - received;
  record.stop_reason = "error";
  record.error = code;
  context_.log(LogLevel::info, format_request_log(record));
}

// Every frame, whoever made it, counts against the one budget: a peer that sends requests
// (or garbage) and never reads the answers is cut off instead of growing the daemon. A
// frame is always taken when nothing else waits, so one large answer still goes out.
void InferenceSession::write(std::string frame, bool counted_by_worker) {
  if (!counted_by_worker) outbox_->add(frame.size());
  if (closed_) {
    outbox_->written(frame.size());
    return;
  }
  if (!output_fits(*outbox_, outgoing_.empty(), context_)) {
    outbox_->written(frame.size());
    close();
    return;
  }
  outgoing_.push_back(std::move(frame));
  if (!writing_) write_next();
}

void InferenceSession::write_next() {
  if (outgoing_.empty()) {
    writing_ = false;
    if (close_after_flush_) close();
    return;
  }
  if (!writing_) {
    writing_ = true;
    write_deadline_.started(shared_from_this());
  }
  const std::string& front = outgoing_.front();
  socket_.async_write_some(
      asio::buffer(front.data() + front_written_, front.size() - front_written_),
      asio::bind_executor(strand_,
                          [self = shared_from_this()](std::error_code error, size_t bytes) {
                            self->on_written(error, bytes);
                          }));
}

void InferenceSession::on_written(std::error_code error, size_t bytes) {
  if (error) {
    close();
    return;
  }
  outbox_->written(bytes);
  if (bytes > 0) write_deadline_.progressed();
  front_written_ += bytes;
  if (front_written_ == outgoing_.front().size()) {
    outgoing_.pop_front();
    front_written_ = 0;
  }
  if (closed_) return;
  write_next();
}

void InferenceSession::close_after_flush() {
  close_after_flush_ = true;
  if (!writing_) close();
}

void InferenceSession::close() {
  if (closed_) return;
  closed_ = true;
  pending_.clear();
  if (busy_ && context_.admission().withdraw(ticket_)) busy_ = false;
  if (busy_ && handle_) handle_->cancel();  // the worker ends the stream and frees the slot
  if (busy_ && program_) program_->stop(ProgramHandle::Stop::client_gone);  // kills its Node
  outbox_->close();
  // An unfinished write still refers to the front frame; the rest is no longer needed.
  if (writing_ && !outgoing_.empty()) {
    outgoing_.erase(outgoing_.begin() + 1, outgoing_.end());
  } else {
    outgoing_.clear();
  }
  first_line_deadline_.cancel();
  write_deadline_.cancel();
  std::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  context_.remove_session(session_id_);
}

}  // namespace weft::server
