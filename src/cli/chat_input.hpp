// Where `weft chat` reads what the user types: lines from a pipe as they come, or a line
// editor on a terminal (line_editor.hpp); and the messages those lines make
// (chat/multiline_message.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/multiline_message.hpp"

namespace weft::cli {

enum class InputStatus { line, end, interrupted };

class LineSource {
 public:
  virtual ~LineSource() = default;
  // Reads one line (without its newline), showing `prompt` where there is a terminal. `end`:
  // end of input (Ctrl-D); `interrupted`: Ctrl-C at the prompt (the line typed so far is
  // dropped).
  virtual InputStatus read_line(std::string& line, std::string_view prompt) = 0;
};

// Lines from a pipe or file (no prompt, no editing), watching `wake_fd` for a Ctrl-C.
class PipeLineSource : public LineSource {
 public:
  explicit PipeLineSource(int wake_fd) : wake_fd_(wake_fd) {}
  InputStatus read_line(std::string& line, std::string_view prompt) override;

 private:
  int wake_fd_;
  std::string buffer_;
  bool at_end_ = false;
};

struct UserInput {
  InputStatus status = InputStatus::line;
  std::string text;
  bool from_block = false;  // a """ block: always a message, never a /command
};

// Reads lines until they make a message, with the prompt "> " and "... " inside a block.
UserInput read_user_input(LineSource& source, chat::MultilineMessage& assembler);

}  // namespace weft::cli
