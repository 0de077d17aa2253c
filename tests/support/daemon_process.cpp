#include "support/daemon_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "weft/error.hpp"

extern char** environ;

namespace weft::testing {
namespace {

std::vector<std::string> environment_with(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry; ++entry) {
    std::string text = *entry;
    std::string name = text.substr(0, text.find('='));
    // The daemon's behaviour must come from the test alone, not from the caller's shell.
    if (extra.count(name) || name.rfind("WEFT_", 0) == 0) continue;
    entries.push_back(text);
  }
  for (const auto& [name, value] : extra) entries.push_back(name + "=" + value);
  return entries;
}

// fork + exec of the weft binary; stdout and stderr go to the given files (or /dev/null).
pid_t spawn_weft(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env, const std::string& stdout_path,
                 const std::string& stderr_path) {
  std::vector<std::string> argv_storage = {WEFT_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<std::string> env_storage = environment_with(env);
  std::vector<char*> argv, envp;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int out = ::open(stdout_path.empty() ? "/dev/null" : stdout_path.c_str(),
                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(stderr_path.empty() ? "/dev/null" : stderr_path.c_str(),
                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "weft-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write_file(const std::string& name, const std::string& text) const {
  std::string file = path_ + "/" + name;
  std::ofstream out(file, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file);
  return file;
}

uint16_t free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

DaemonProcess::DaemonProcess(Options options) {
  if (options.xdg_runtime_dir.empty()) {
    own_dir_.emplace();
    xdg_ = own_dir_->path();
  } else {
    xdg_ = options.xdg_runtime_dir;
  }
  static int counter = 0;
  log_path_ =
      xdg_ + "/daemon-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".log";
  auto env = options.env;
  env["XDG_RUNTIME_DIR"] = xdg_;
  std::vector<std::string> args = {"serve"};
  args.insert(args.end(), options.args.begin(), options.args.end());
  pid_ = spawn_weft(args, env, "", log_path_);
}

DaemonProcess::~DaemonProcess() {
  if (!exit_status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

client::Client DaemonProcess::connect() const {
  return client::dial_and_wait_ready(infer_address(), kPatience);
}

client::AdminClient DaemonProcess::admin() const {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (true) {
    try {
      return client::AdminClient::connect(admin_path());
    } catch (const Error&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

void DaemonProcess::send_signal(int signal) const {
  ::kill(pid_, signal);
}

std::optional<int> DaemonProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_status_) return exit_status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_status_;
    }
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string DaemonProcess::log() const {
  return read_file(log_path_);
}

bool DaemonProcess::wait_for_log_line(const std::vector<std::string>& needles,
                                      std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::istringstream lines(log());
    std::string line;
    while (std::getline(lines, line)) {
      bool all = true;
      for (const auto& needle : needles) all = all && line.find(needle) != std::string::npos;
      if (all) return true;
    }
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

CommandResult run_weft(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env) {
  TempDir scratch;
  std::string out_path = scratch.path() + "/stdout";
  pid_t pid = spawn_weft(args, env, out_path, scratch.path() + "/stderr");
  int status = 0;
  ::waitpid(pid, &status, 0);
  CommandResult result;
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = read_file(out_path);
  result.errors = read_file(scratch.path() + "/stderr");
  return result;
}

}  // namespace weft::testing
