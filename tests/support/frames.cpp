#include "support/frames.hpp"

#include "backend/stub_backend.hpp"

namespace weft::testing {

std::string Collected::token_text() const {
  std::string text;
  for (const auto& token : tokens) text += token.content;
  return text;
}

Collected collect_frames(client::FrameStream& frames) {
  Collected collected;
  while (auto frame = frames.next()) {
    if (frame->terminal()) {
      collected.terminal = *frame;
    } else {
      collected.tokens.push_back(*frame);
    }
  }
  return collected;
}

GenerationRequest user_request(std::string id, std::string content, uint32_t max_tokens) {
  GenerationRequest request;
  request.id = std::move(id);
  request.messages.push_back({Role::user, std::move(content)});
  request.options.max_tokens = max_tokens;
  return request;
}

std::string stub_answer(const GenerationRequest& request) {
  backend::StubConfig config;
  config.token_delay = std::chrono::milliseconds(0);
  backend::StubBackend stub(config);
  auto stream = stub.generate(request);
  return collect(stream).text;
}

}  // namespace weft::testing
