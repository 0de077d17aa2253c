#include "cli/terminal_style.hpp"

#include <unistd.h>

#include <cstdlib>

namespace weft::cli {

bool colours_wanted(int fd) {
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour && no_colour[0] != '\0') return false;
  return isatty(fd) == 1;
}

std::string TerminalStyle::dim(std::string_view text) const {
  if (!colours) return std::string(text);
  std::string styled = "\033[2m";
  styled += text;
  styled += "\033[0m";
  return styled;
}

}  // namespace weft::cli
