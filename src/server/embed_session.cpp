#include "server/embed_session.hpp"

#include "backend/native_backend.hpp"
#include "protocol/wire_v2_messages.hpp"
#include "server/v2_generation.hpp"
#include "weft/error.hpp"

namespace weft::server {
namespace {

namespace embed = protocol::embed;
namespace v2 = protocol::v2;

// Runs on a worker thread; returns the answer line.
std::string compute(ServerContext& context, const embed::Request& request) {
  auto backend = context.backend();
  if (!backend)
    return embed::encode_error(request.id, v2::code::backend_unavailable, "no backend is loaded");
  if (!backend_can_embed(backend.get())) {
    return embed::encode_error(request.id, embed::kEmbedUnsupported,
                               "backend " + backend->name() + " computes no embeddings");
  }
  try {
    EmbeddingRequest embedding;
    embedding.inputs = request.inputs;
    EmbeddingResult result = backend->embed(embedding);
    const auto width = static_cast<uint32_t>(result.vectors.empty() ? 0 : result.vectors[0].size());
    uint32_t dimensions = width;
    if (request.dimensions) {
      if (*request.dimensions > width) {
        return embed::encode_error(request.id, v2::code::invalid_request,
                                   "'dimensions' " + std::to_string(*request.dimensions) +
                                       " passes the model's " + std::to_string(width));
      }
      dimensions = *request.dimensions;
      embed::truncate_to_dimensions(result.vectors, dimensions);
    }
    return embed::encode_embeddings(request.id, result.vectors, dimensions,
                                    backend->model_info().name, result.prompt_tokens,
                                    backend->name());
  } catch (const Error& error) {
    return embed::encode_error(request.id, v2_error_code(error.code()), error.what());
  } catch (const std::exception& error) {
    return embed::encode_error(request.id, v2::code::internal, error.what());
  }
}

}  // namespace

bool backend_can_embed(const Backend* backend) {
  return dynamic_cast<const backend::NativeBackend*>(backend) != nullptr;
}

EmbedSession::EmbedSession(Socket socket, ServerContext& context)
    : StreamConnection(std::move(socket), context) {}

std::shared_ptr<EmbedSession> EmbedSession::self() {
  return std::static_pointer_cast<EmbedSession>(shared_from_this());
}

void EmbedSession::on_bytes(std::string_view bytes) {
  reader_.append(bytes);
  process();
}

void EmbedSession::on_peer_closed() {
  reader_.finish();
  if (busy_) return;  // the answer is still written; then the connection closes
  process();
  if (!busy_) close_after_flush();
}

void EmbedSession::on_closing() {
  if (busy_ && context_.admission().withdraw(ticket_)) busy_ = false;
}

void EmbedSession::process() {
  while (!busy_ && !closing()) {
    std::string line;
    switch (reader_.next(line)) {
      case protocol::FrameReader::Status::frame:
        break;
      case protocol::FrameReader::Status::need_more:
        return;
      case protocol::FrameReader::Status::end:
        close_after_flush();
        return;
      case protocol::FrameReader::Status::too_large:
        write(embed::encode_error(
            "", v2::code::frame_too_large,
            "a request line passes " + std::to_string(protocol::kMaxFrameBytes) + " bytes"));
        close_after_flush();
        return;
    }
    if (line.empty()) continue;
    auto decoded = embed::decode_request(line);
    if (auto* failure = std::get_if<embed::Failure>(&decoded)) {
      write(embed::encode_error(failure->id, v2::code::invalid_request, failure->message));
      continue;
    }
    submit(std::move(std::get<embed::Request>(decoded)));
  }
}

void EmbedSession::submit(embed::Request request) {
  busy_ = true;
  ticket_ = context_.next_ticket();
  const std::string id = request.id;
  auto session = self();
  auto start = [&context = context_, session, request = std::move(request)]() mutable {
    context.workers().spawn([&context, session, request = std::move(request)] {
      std::string line = compute(context, request);
      context.admission().finish();
      session->post(
          [session, line = std::move(line)]() mutable { session->on_finished(std::move(line)); });
    });
  };
  if (context_.admission().submit(ticket_, std::move(start)) == Admission::Outcome::rejected) {
    busy_ = false;
    write(
        embed::encode_error(id, v2::code::queue_full, "the admission queue is full; retry later"));
  }
}

void EmbedSession::on_finished(std::string line) {
  busy_ = false;
  write(std::move(line));
  if (reader_.finished()) {
    process();
    if (!busy_) close_after_flush();
    return;
  }
  process();
}

}  // namespace weft::server
