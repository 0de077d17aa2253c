// A message of several lines in `weft chat`, typed as Ollama's REPL takes them: a block
// between triple quotes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::chat {

// Joins the lines of a """ block into one message. Outside a block a line is a message by
// itself; a line starting with """ opens a block (the text after the quotes is its first
// line) and the first line ending with """ closes it (the text before the quotes is its last
// line); """text""" on one line is the message `text`.
class MultilineMessage {
 public:
  // The finished message, or nullopt while a block is open.
  std::optional<std::string> feed(std::string_view line);
  bool in_block() const { return in_block_; }
  // Forgets an open block (Ctrl-C).
  void cancel();

 private:
  bool in_block_ = false;
  std::vector<std::string> lines_;
};

// True when `line` opens a block (starts with """).
bool opens_multiline_block(std::string_view line);

}  // namespace weft::chat
