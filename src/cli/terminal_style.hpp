// Colours for `weft chat` on a terminal: a bold prompt, and its own notes (stopped answers,
// --stats lines) dimmed so that they stand apart from the model's text. Off when the stream is
// not a terminal or NO_COLOR is set to anything but "" (https://no-color.org).
#pragma once

#include <string>
#include <string_view>

namespace weft::cli {

bool colours_wanted(int fd);

struct TerminalStyle {
  bool colours = false;
  std::string dim(std::string_view text) const;
};

}  // namespace weft::cli
