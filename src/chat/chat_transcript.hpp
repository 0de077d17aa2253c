// A `weft chat` conversation as a JSON file (`/save FILE`, `/load FILE`): the system prompt,
// the sampling settings and the turns, so that a later chat continues where this one was.
//
//   {"weft_chat": 1, "model": "...", "system": "...", "settings": {"temperature": 0, ...},
//    "messages": [{"role": "user", "content": "..."}, {"role": "assistant", ...}, ...]}
#pragma once

#include <string>
#include <vector>

#include "weft/types.hpp"

namespace weft::chat {

struct ChatTranscript {
  std::string model;  // informational: the model it was saved with
  std::string system_prompt;
  GenerationOptions settings;
  std::vector<Message> messages;  // user and assistant turns, in order
};

// Writes `transcript` to `path` (replacing the file). Throws weft::Error naming the file when
// it cannot be written.
void save_chat_transcript(const ChatTranscript& transcript, const std::string& path);

// Reads a file save_chat_transcript wrote. Settings absent from the file keep their values in
// `current_settings`. Throws weft::Error naming the file and the field that is wrong (not
// JSON, a missing or unknown field, a role other than user/assistant, a bad setting).
ChatTranscript load_chat_transcript(const std::string& path,
                                    const GenerationOptions& current_settings);

}  // namespace weft::chat
