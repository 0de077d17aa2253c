#include "server/v2_session.hpp"

#include "server/v2_generation.hpp"

namespace weft::server {
namespace {

namespace v2 = protocol::v2;

// While a request runs the peer should send nothing (spec §3.1: no pipelining); what it
// sends anyway is kept for after the terminal frame, up to one largest frame.
constexpr size_t kMaxBufferedWhileBusy = v2::kMaxFramePayload + v2::kMaxVarintBytes + 1;

}  // namespace

V2Session::V2Session(Socket socket, ServerContext& context)
    : StreamConnection(std::move(socket), context) {}

std::shared_ptr<V2Session> V2Session::self() {
  return std::static_pointer_cast<V2Session>(shared_from_this());
}

void V2Session::on_bytes(std::string_view bytes) {
  decoder_.append(bytes);
  if (busy_ && decoder_.buffered_bytes() > kMaxBufferedWhileBusy) {
    context_.log(LogLevel::warn,
                 "closing a v2 connection that sent more than a frame while its "
                 "request ran (requests are strictly sequential)");
    close();
    return;
  }
  process();
}

// Closing the connection cancels the request in flight (spec §3.1).
void V2Session::on_peer_closed() {
  peer_closed_ = true;
  decoder_.finish();
  if (busy_) {
    close();
    return;
  }
  process();
  if (!busy_) close_after_flush();
}

void V2Session::on_closing() {
  if (busy_ && context_.admission().withdraw(ticket_)) busy_ = false;
  if (busy_ && handle_) handle_->cancel();  // the worker ends the stream and frees the slot
}

void V2Session::process() {
  while (!busy_ && !closing()) {
    v2::Frame frame;
    switch (decoder_.next(frame)) {
      case v2::FrameDecoder::Status::frame:
        handle_frame(frame);
        break;
      case v2::FrameDecoder::Status::need_more:
        return;
      case v2::FrameDecoder::Status::end:
        close_after_flush();
        return;
      case v2::FrameDecoder::Status::malformed: {
        const bool too_large = decoder_.problem() == v2::FrameDecoder::Problem::too_large;
        context_.log(LogLevel::info, "closing a v2 connection: " + decoder_.error());
        // Inside a request's attachments the error is that request's terminal frame.
        const std::string id = awaited_attachments_.empty() ? "" : attachments_request_id_;
        refuse(id, too_large ? v2::code::frame_too_large : v2::code::invalid_request,
               "malformed frame: " + decoder_.error(), true);
        return;
      }
    }
  }
}

void V2Session::handle_frame(v2::Frame& frame) {
  if (!awaited_attachments_.empty()) {
    handle_attachment_frame(frame);
    return;
  }
  if (frame.type != v2::FrameType::json) {
    refuse("", v2::code::invalid_request,
           "a BLOB frame came without a request and attachment_blob descriptor before it", true);
    return;
  }
  handle_request(frame.payload);
}

void V2Session::handle_request(const std::string& payload) {
  received_ = std::chrono::steady_clock::now();
  auto decoded = v2::decode_request(payload);
  if (auto* failure = std::get_if<v2::Failure>(&decoded)) {
    refuse(failure->id, failure->code.c_str(), failure->message, failure->close);
    return;
  }
  auto& request = std::get<v2::Request>(decoded);
  if (request.attachments.empty()) {
    submit(std::move(request));
    return;
  }
  awaited_attachments_.clear();
  for (const auto& attachment : request.attachments) {
    if (attachment.kind == "video") {
      // No byte format is defined for it, so what follows on the stream cannot be followed.
      refuse(request.generation.id, v2::code::attachment_unsupported,
             "attachment '" + attachment.id + "' is a video, which this daemon does not accept",
             true);
      return;
    }
    if (attachment.carries_bytes()) awaited_attachments_.push_back(attachment);
  }
  const std::string kind = request.attachments.front().kind;
  if (awaited_attachments_.empty()) {
    refuse(request.generation.id, v2::code::attachment_unsupported,
           "this daemon's backend takes no " + kind + " input (weft encodes no images or audio)",
           false);
    return;
  }
  // The BLOBs are read (their bytes charged against the budget first, then dropped) so the
  // connection stays in step; then the request is answered.
  attachments_request_id_ = request.generation.id;
  attachment_bytes_ = 0;
  announced_blob_.reset();
}

void V2Session::handle_attachment_frame(const v2::Frame& frame) {
  const std::string& id = attachments_request_id_;
  const v2::Attachment& next = awaited_attachments_.front();
  if (!announced_blob_) {
    if (frame.type != v2::FrameType::json) {
      refuse(id, v2::code::invalid_request,
             "expected the attachment_blob descriptor of '" + next.id + "', got a BLOB frame",
             true);
      return;
    }
    auto descriptor = v2::decode_blob_descriptor(frame.payload);
    if (auto* problem = std::get_if<std::string>(&descriptor)) {
      refuse(id, v2::code::invalid_request, *problem, true);
      return;
    }
    auto& blob = std::get<v2::BlobDescriptor>(descriptor);
    if (blob.attachment_id != next.id) {
      refuse(id, v2::code::invalid_request,
             "attachment BLOBs come in attachments[] order: expected '" + next.id + "', got '" +
                 blob.attachment_id + "'",
             true);
      return;
    }
    if (blob.len > v2::kMaxAttachmentBytes - attachment_bytes_) {
      refuse(id, v2::code::frame_too_large,
             "the request's attachments pass " + std::to_string(v2::kMaxAttachmentBytes) +
                 " bytes in all",
             true);
      return;
    }
    // The spec fixes an image's size (RGB) and an audio BLOB holds whole float32 samples.
    if ((next.kind == "image" && blob.len != next.image_bytes) ||
        (next.kind == "audio" && blob.len % 4 != 0)) {
      refuse(id, v2::code::invalid_request,
             "attachment '" + next.id + "': a " + next.kind + " BLOB of " +
                 std::to_string(blob.len) + " bytes" +
                 (next.kind == "image"
                      ? " (width × height × 3 is " + std::to_string(next.image_bytes) + ")"
                      : " is not whole float32 samples"),
             true);
      return;
    }
    attachment_bytes_ += blob.len;
    announced_blob_ = blob;
    return;
  }
  if (frame.type != v2::FrameType::blob || frame.payload.size() != announced_blob_->len) {
    refuse(id, v2::code::invalid_request,
           "expected a BLOB frame of " + std::to_string(announced_blob_->len) + " bytes for '" +
               next.id + "'",
           true);
    return;
  }
  announced_blob_.reset();
  const std::string kind = next.kind;
  awaited_attachments_.pop_front();
  if (awaited_attachments_.empty()) {
    refuse(id, v2::code::attachment_unsupported,
           "this daemon's backend takes no " + kind + " input (weft encodes no images or audio)",
           false);
  }
}

void V2Session::submit(v2::Request request) {
  busy_ = true;
  ticket_ = context_.next_ticket();
  handle_ = std::make_shared<GenerationHandle>();
  const std::string id = request.generation.id;
  auto backend = context_.backend();

  // Only the native backend applies grammars; the spec has a backend that cannot enforce
  // response_format ignore it rather than fail (others refuse a grammar).
  if (!backend_applies_grammars(backend.get())) request.generation.options.grammar.clear();

  auto session = self();
  V2GenerationJob job;
  job.decoder = decoder_config_for(backend.get(), request.has_tools);
  job.request = std::move(request.generation);
  job.stream = request.stream;
  job.thinking = request.thinking;
  job.received = received_;
  job.handle = handle_;
  job.outbox = outbox_;
  job.deliver = [session](std::string frame) {
    session->post([session, frame = std::move(frame)]() mutable {
      session->write(std::move(frame), /*counted_by_worker=*/true);
    });
  };
  job.finished = [session] { session->post([session] { session->on_generation_finished(); }); };
  auto start = [&context = context_, job = std::move(job)]() mutable {
    context.workers().spawn(
        [&context, job = std::move(job)]() mutable { run_v2_generation(context, std::move(job)); });
  };
  if (context_.admission().submit(ticket_, std::move(start)) == Admission::Outcome::rejected) {
    busy_ = false;
    handle_.reset();
    refuse(id, v2::code::queue_full, "the admission queue is full; retry later", false);
  }
}

void V2Session::on_generation_finished() {
  busy_ = false;
  handle_.reset();
  if (peer_closed_) {
    close_after_flush();
    return;
  }
  process();
}

void V2Session::refuse(const std::string& id, const char* code, const std::string& message,
                       bool close) {
  write(v2::encode_error(id, code, message));
  awaited_attachments_.clear();
  announced_blob_.reset();
  if (close) close_after_flush();
}

}  // namespace weft::server
