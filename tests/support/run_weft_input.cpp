#include "support/run_weft_input.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <stdexcept>

namespace weft::test {
namespace {

std::string read_all(int fd) {
  std::string text;
  lseek(fd, 0, SEEK_SET);
  std::array<char, 65536> buffer;
  for (ssize_t n; (n = read(fd, buffer.data(), buffer.size())) > 0;)
    text.append(buffer.data(), static_cast<size_t>(n));
  close(fd);
  return text;
}

int temporary_file(std::string& path) {
  char name[] = "/tmp/weft-test-io-XXXXXX";
  int fd = mkstemp(name);
  if (fd < 0) throw std::runtime_error("cannot create a temporary file");
  path = name;
  return fd;
}

}  // namespace

WeftResult run_weft_with_input(
    const std::vector<std::string>& arguments, const std::string& input,
    const std::vector<std::pair<std::string, std::string>>& environment) {
  // Files rather than pipes for all three streams: no deadlock whatever the child does.
  std::string in_path, out_path, err_path;
  int in_fd = temporary_file(in_path);
  int out_fd = temporary_file(out_path);
  int err_fd = temporary_file(err_path);
  if (write(in_fd, input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
    throw std::runtime_error("cannot write weft's input");
  }
  lseek(in_fd, 0, SEEK_SET);
  pid_t child = fork();
  if (child < 0) throw std::runtime_error("cannot fork");
  if (child == 0) {
    dup2(in_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    for (const auto& [name, value] : environment) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    std::string binary = WEFT_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copies = arguments;
    for (auto& argument : copies) argv.push_back(argument.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  WeftResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  close(in_fd);
  result.out = read_all(out_fd);
  result.err = read_all(err_fd);
  unlink(in_path.c_str());
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return result;
}

}  // namespace weft::test
