#include "engine/stdio_engine.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "backend/line_splitter.hpp"
#include "weft/error.hpp"
#include "weft/registry.hpp"

namespace weft::engine {
namespace {

bool write_all(int fd, const std::string& bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    written += static_cast<size_t>(n);
  }
  return true;
}

// Cuts the host's input into lines; a line past LineSplitter's limit is reported and
// dropped up to its end, and reading goes on with the next line.
class InputLines {
 public:
  explicit InputLines(EngineServer& server) : server_(server) {}

  // Returns false once a line asked to shut down.
  bool feed(std::string_view bytes) {
    if (discarding_) {
      const size_t newline = bytes.find('\n');
      if (newline == std::string_view::npos) return true;
      bytes.remove_prefix(newline + 1);
      discarding_ = false;
    }
    std::vector<std::string> lines;
    try {
      lines = splitter_.feed(bytes);
    } catch (const Error& error) {
      // Reads are far shorter than the limit, so a read that overflows it completed no line.
      splitter_.take_rest();
      discarding_ = true;
      server_.report_error(std::string("bad ndjson: ") + error.what() + "; the line was dropped");
    }
    for (const auto& line : lines) {
      if (!server_.handle_line(line)) return false;
    }
    return true;
  }

  // The end of input: an unterminated last line is still a command.
  void finish() {
    if (discarding_) return;
    if (auto rest = splitter_.take_rest(); !rest.empty()) server_.handle_line(rest);
  }

 private:
  EngineServer& server_;
  backend::LineSplitter splitter_;
  bool discarding_ = false;
};

}  // namespace

int run_stdio_engine(const StdioEngineOptions& options, int input_fd, int output_fd) {
  auto registry = BackendRegistry::with_builtin_backends();
  EngineServer server(registry.create(options.backend), options.server,
                      [output_fd](const std::string& line) { return write_all(output_fd, line); });
  server.start(options.model);
  InputLines input(server);
  std::array<char, 65536> buffer;
  while (true) {
    const ssize_t n = ::read(input_fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::fprintf(stderr, "weft-engine: reading stdin failed: %s\n", std::strerror(errno));
      server.stop();
      return 1;
    }
    if (n == 0) {
      input.finish();
      server.drain();
      return 0;
    }
    if (!input.feed(std::string_view(buffer.data(), static_cast<size_t>(n)))) break;
  }
  server.stop();
  return 0;
}

int run_stdio_engine_on_process_stdio(const StdioEngineOptions& options) {
  std::signal(SIGPIPE, SIG_IGN);
  const int protocol_fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (protocol_fd < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    throw Error(ErrorCode::internal, std::string("cannot set up stdout: ") + std::strerror(errno));
  }
  const int status = run_stdio_engine(options, STDIN_FILENO, protocol_fd);
  ::close(protocol_fd);
  return status;
}

}  // namespace weft::engine
