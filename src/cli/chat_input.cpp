#include "cli/chat_input.hpp"

#include <poll.h>
#include <unistd.h>

namespace weft::cli {

InputStatus PipeLineSource::read_line(std::string& line, std::string_view /*prompt*/) {
  while (true) {
    size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return InputStatus::line;
    }
    if (at_end_) {
      if (buffer_.empty()) return InputStatus::end;
      line = std::move(buffer_);
      buffer_.clear();
      return InputStatus::line;
    }
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents & POLLIN) return InputStatus::interrupted;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char chunk[4096];
      ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
      if (n <= 0) {
        at_end_ = true;
      } else {
        buffer_.append(chunk, static_cast<size_t>(n));
      }
    }
  }
}

UserInput read_user_input(LineSource& source, chat::MultilineMessage& assembler) {
  UserInput input;
  std::string line;
  while (true) {
    input.status = source.read_line(line, assembler.in_block() ? "... " : "> ");
    if (input.status != InputStatus::line) {
      assembler.cancel();
      return input;
    }
    if (assembler.in_block() || chat::opens_multiline_block(line)) input.from_block = true;
    if (auto message = assembler.feed(line)) {
      input.text = std::move(*message);
      return input;
    }
  }
}

}  // namespace weft::cli
