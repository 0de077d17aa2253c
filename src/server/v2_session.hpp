// One connection on the inferd wire v2 generation socket (`inferd.sock`; inferd
// docs/protocol-v2.md §2–§6): reads length-prefixed frames, serves one request at a time
// through the daemon's admission, answers each with 0..N `frame`s and exactly one terminal
// `done` or `error`, and cancels the generation when the peer closes.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "protocol/wire_v2_framing.hpp"
#include "protocol/wire_v2_messages.hpp"
#include "server/stream_connection.hpp"

namespace weft::server {

class V2Session : public StreamConnection {
 public:
  V2Session(Socket socket, ServerContext& context);

 private:
  void on_bytes(std::string_view bytes) override;
  void on_peer_closed() override;
  void on_closing() override;
  size_t buffered_input() const override { return decoder_.buffered_bytes(); }

  void process();
  void handle_frame(protocol::v2::Frame& frame);
  void handle_request(const std::string& payload);
  void handle_attachment_frame(const protocol::v2::Frame& frame);
  void submit(protocol::v2::Request request);
  void on_generation_finished();
  // One terminal error frame for the request; `close` ends the connection after it.
  void refuse(const std::string& id, const char* code, const std::string& message, bool close);
  std::shared_ptr<V2Session> self();

  protocol::v2::FrameDecoder decoder_;
  bool busy_ = false;  // a request is admitted or waiting for admission
  bool peer_closed_ = false;
  Admission::Ticket ticket_ = 0;
  std::shared_ptr<GenerationHandle> handle_;
  std::chrono::steady_clock::time_point received_;
  // A request with media: its id, the attachments whose BLOBs are still to come, the BLOB
  // the last descriptor announced, and the bytes charged so far (spec §3.7).
  std::string attachments_request_id_;
  std::deque<protocol::v2::Attachment> awaited_attachments_;
  std::optional<protocol::v2::BlobDescriptor> announced_blob_;
  uint64_t attachment_bytes_ = 0;
};

}  // namespace weft::server
