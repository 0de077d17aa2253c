#include "support/terminal_session.hpp"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

namespace weft::test {
namespace {

constexpr auto kGuard = std::chrono::seconds(60);

}  // namespace

size_t count_occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TerminalSession::TerminalSession(
    const std::vector<std::string>& arguments,
    const std::vector<std::pair<std::string, std::string>>& environment) {
  winsize size{};
  size.ws_row = 40;
  size.ws_col = 200;
  child_ = forkpty(&terminal_, nullptr, nullptr, &size);
  if (child_ < 0) throw std::runtime_error("forkpty failed");
  if (child_ > 0) {
    // A UTF-8 terminal, as Linux consoles and terminal emulators set up: keys typed before
    // the program's editor takes the terminal are erased by the kernel a character at a time.
    termios modes{};
    if (tcgetattr(terminal_, &modes) == 0) {
      modes.c_iflag |= IUTF8;
      tcsetattr(terminal_, TCSANOW, &modes);
    }
  }
  if (child_ == 0) {
    for (const auto& [name, value] : environment) {
      if (value.empty()) {
        unsetenv(name.c_str());
      } else {
        setenv(name.c_str(), value.c_str(), 1);
      }
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(WEFT_BINARY));
    for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    execv(WEFT_BINARY, argv.data());
    _exit(127);
  }
}

TerminalSession::~TerminalSession() {
  if (child_ > 0 && !ended_) {
    kill(child_, SIGKILL);
    waitpid(child_, nullptr, 0);
  }
  if (terminal_ >= 0) close(terminal_);
}

void TerminalSession::type(const std::string& keys) {
  size_t written = 0;
  while (written < keys.size()) {
    ssize_t n = write(terminal_, keys.data() + written, keys.size() - written);
    if (n <= 0) throw std::runtime_error("cannot type into the terminal");
    written += static_cast<size_t>(n);
  }
}

bool TerminalSession::read_some(int timeout_ms) {
  pollfd fd{terminal_, POLLIN, 0};
  if (poll(&fd, 1, timeout_ms) <= 0) return true;
  char buffer[4096];
  ssize_t n = read(terminal_, buffer, sizeof buffer);
  if (n <= 0) return false;  // EIO: the program closed the terminal
  shown_.append(buffer, static_cast<size_t>(n));
  return true;
}

bool TerminalSession::wait_for(const std::string& text, size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + kGuard;
  while (count_occurrences(shown_, text) < count) {
    if (std::chrono::steady_clock::now() > deadline || !read_some(100)) return false;
  }
  return true;
}

bool TerminalSession::wait_for_editor() {
  const auto deadline = std::chrono::steady_clock::now() + kGuard;
  while (true) {
    termios mode{};
    // On Linux a pseudo-terminal's master reports the terminal's (the slave's) settings.
    if (tcgetattr(terminal_, &mode) == 0 && (mode.c_lflag & ICANON) == 0) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (!read_some(10)) return false;
  }
}

int TerminalSession::wait_exit() {
  const auto deadline = std::chrono::steady_clock::now() + kGuard;
  while (std::chrono::steady_clock::now() < deadline) {
    read_some(50);
    int status = 0;
    pid_t done = waitpid(child_, &status, WNOHANG);
    if (done == child_) {
      ended_ = true;
      while (true) {  // what it wrote before it ended
        pollfd fd{terminal_, POLLIN, 0};
        if (poll(&fd, 1, 0) <= 0 || !read_some(0)) break;
      }
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }
  return -1;
}

}  // namespace weft::test
