#include "support/run_weft.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <stdexcept>

namespace weft::test {
namespace {

std::string drain(int fd) {
  std::string text;
  std::array<char, 65536> buffer;
  for (ssize_t n; (n = read(fd, buffer.data(), buffer.size())) > 0;) text.append(buffer.data(), n);
  close(fd);
  return text;
}

}  // namespace

WeftResult run_weft(const std::vector<std::string>& arguments) {
  // stderr goes to a temporary file so that a full stdout pipe cannot deadlock the child.
  char err_path[] = "/tmp/weft-test-stderr-XXXXXX";
  int err_fd = mkstemp(err_path);
  int out_pipe[2];
  if (err_fd < 0 || pipe(out_pipe) != 0) throw std::runtime_error("cannot set up weft's output");
  pid_t child = fork();
  if (child < 0) throw std::runtime_error("cannot fork");
  if (child == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    close(out_pipe[0]);
    std::vector<char*> argv;
    std::string binary = WEFT_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copies = arguments;
    for (auto& argument : copies) argv.push_back(argument.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  WeftResult result;
  result.out = drain(out_pipe[0]);
  int status = 0;
  waitpid(child, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  lseek(err_fd, 0, SEEK_SET);
  result.err = drain(err_fd);
  unlink(err_path);
  return result;
}

}  // namespace weft::test
