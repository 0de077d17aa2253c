// Reading whole generations from a daemon in end-to-end tests.
#pragma once

#include <string>
#include <vector>

#include "weft/client.hpp"

namespace weft::testing {

struct Collected {
  std::vector<client::Frame> tokens;
  client::Frame terminal;
  std::string token_text() const;  // the token frames' contents joined
};

// Reads frames up to and including the terminal one.
Collected collect_frames(client::FrameStream& frames);

// A request with one user message.
GenerationRequest user_request(std::string id, std::string content, uint32_t max_tokens);

// What the stub backend says for `request`, asked directly (no daemon in between).
std::string stub_answer(const GenerationRequest& request);

}  // namespace weft::testing
