// One connection on inferd's embeddings socket (`infer.embed.sock`; inferd
// docs/protocol-v2.md §7): NDJSON EmbedRequest lines, each answered with one `embeddings`
// or `error` line, one at a time, through the daemon's admission.
#pragma once

#include <memory>
#include <string>

#include "protocol/embed_wire.hpp"
#include "protocol/framing.hpp"
#include "server/stream_connection.hpp"

namespace weft::server {

class EmbedSession : public StreamConnection {
 public:
  EmbedSession(Socket socket, ServerContext& context);

 private:
  void on_bytes(std::string_view bytes) override;
  void on_peer_closed() override;
  void on_closing() override;
  size_t buffered_input() const override { return reader_.buffered_bytes(); }

  void process();
  void submit(protocol::embed::Request request);
  void on_finished(std::string line);
  std::shared_ptr<EmbedSession> self();

  protocol::FrameReader reader_;
  bool busy_ = false;
  Admission::Ticket ticket_ = 0;
};

// Whether the loaded backend computes embeddings (the native one does, remote ones and the
// stub do not): the embeddings socket is bound only then (spec §1).
bool backend_can_embed(const Backend* backend);

}  // namespace weft::server
