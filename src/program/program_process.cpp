#include "program/program_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "sync/mutex.hpp"
#include "weft/error.hpp"

extern char** environ;

namespace weft::program {
namespace {

// The first line `argv` prints on stdout, "" when it cannot be run.
std::string first_output_line(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return "";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  std::string output;
  if (spawned == 0) {
    char chunk[256];
    ssize_t got = 0;
    while ((got = ::read(pipe_fds[0], chunk, sizeof(chunk))) > 0) output.append(chunk, got);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) output.clear();
  }
  ::close(pipe_fds[0]);
  return output.substr(0, output.find('\n'));
}

// Node's major version ("v20.20.2" → 20), 0 when Node does not answer.
int node_major_version(const std::string& node) {
  const auto version = first_output_line({node, "--version"});
  if (version.size() < 2 || version[0] != 'v') return 0;
  try {
    return std::stoi(version.substr(1));
  } catch (const std::exception&) {
    return 0;
  }
}

bool on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string_view rest(path);
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const auto dir = rest.substr(0, colon);
    if (!dir.empty() && ::access((std::string(dir) + "/" + name).c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return false;
}

// Whether bwrap can make its namespaces here (it cannot in some containers).
bool bubblewrap_works() {
  return first_output_line({"bwrap", "--ro-bind", "/", "/", "--unshare-net", "--die-with-parent",
                            "echo", "ok"}) == "ok";
}

// A descriptor numbered above 4, close-on-exec, so that dup2 onto 3 and 4 never meets itself.
int above_four(int fd) {
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  if (moved < 0) throw Error(ErrorCode::internal, std::string("fcntl: ") + std::strerror(errno));
  return moved;
}

// A program has no business with the keys of the process that runs it (the daemon's TCP key,
// the remote backends' keys): NAME=… where NAME ends in API_KEY.
bool names_a_key(std::string_view variable) {
  const auto name = variable.substr(0, variable.find('='));
  return name.ends_with("API_KEY");
}

}  // namespace

SandboxChoice parse_sandbox(const std::string& name) {
  if (name == "auto") return SandboxChoice::automatic;
  if (name == "bwrap") return SandboxChoice::bwrap;
  if (name == "node") return SandboxChoice::node;
  if (name == "none") return SandboxChoice::none;
  throw Error("--sandbox: '" + name + "' is not one of auto, bwrap, node, none");
}

SandboxPlan plan_sandbox(const ProgramLaunch& launch) {
  SandboxPlan plan;
  if (launch.sandbox == SandboxChoice::none) return plan;
  const int major = node_major_version(launch.node);
  if (major == 0) {
    throw Error("cannot run Node ('" + launch.node +
                " --version' failed): install Node.js 18 or newer, or name it with --node");
  }
  const bool want_node = launch.sandbox != SandboxChoice::bwrap;
  const bool want_bwrap = launch.sandbox != SandboxChoice::node;
  if (want_node) {
    if (major >= 20) {
      plan.node_permissions = true;
    } else if (launch.sandbox == SandboxChoice::node) {
      throw Error("--sandbox node needs Node 20 or newer (its permission model); this Node is " +
                  std::to_string(major));
    } else {
      plan.notes.push_back("Node " + std::to_string(major) +
                           " has no permission model (Node 20 or newer has)");
    }
  }
  if (want_bwrap) {
    if (on_path("bwrap") && bubblewrap_works()) {
      plan.bubblewrap = true;
    } else if (launch.sandbox == SandboxChoice::bwrap) {
      throw Error("--sandbox bwrap: bubblewrap is not installed or cannot create namespaces here");
    } else {
      plan.notes.push_back("bubblewrap is not installed or cannot create namespaces here");
    }
  }
  return plan;
}

std::vector<std::string> program_command(const ProgramLaunch& launch, const SandboxPlan& plan) {
  std::vector<std::string> command;
  if (plan.bubblewrap) {
    command = {"bwrap",
               "--ro-bind",
               "/",
               "/",
               "--dev",
               "/dev",
               "--proc",
               "/proc",
               "--tmpfs",
               "/tmp",
               "--unshare-net",
               "--unshare-ipc",
               "--die-with-parent",
               "--new-session"};
    // Over the private /tmp: what the program needs from the real file system.
    for (const auto& path : {launch.sdk_dir, launch.program}) {
      command.insert(command.end(), {"--ro-bind", path, path});
    }
    command.insert(command.end(), {"--bind", launch.scratch_dir, launch.scratch_dir});
  }
  command.push_back(launch.node);
  command.push_back("--no-warnings");
  if (plan.node_permissions) {
    // One path per flag (Node 20.20 refuses comma lists); the loader's hooks run on a worker
    // thread, which is under the same restrictions.
    command.insert(
        command.end(),
        {"--experimental-permission", "--allow-worker", "--allow-fs-read=" + launch.sdk_dir + "/*",
         "--allow-fs-read=" + launch.program, "--allow-fs-read=" + launch.scratch_dir + "/*",
         "--allow-fs-write=" + launch.scratch_dir + "/*"});
  }
  command.push_back("--experimental-loader=" + launch.sdk_dir + "/loader.mjs");
  command.push_back(launch.sdk_dir + "/runner.mjs");
  return command;
}

ProgramProcess::ProgramProcess(const std::vector<std::string>& command, const ProgramLaunch& launch,
                               int call_fd, int async_fd) {
  const int call = above_four(call_fd);
  const int async = above_four(async_fd);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, call, 3);
  posix_spawn_file_actions_adddup2(&actions, async, 4);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  // Nothing else of weft's: in a daemon, descriptors without close-on-exec (Asio opens its
  // sockets without it) would hand the program the listening sockets and other clients'
  // connections, and keep a port bound after the daemon closed it.
  posix_spawn_file_actions_addclosefrom_np(&actions, 5);
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    if (!variable.starts_with("WEFT_PROGRAM=") && !variable.starts_with("WEFT_SCRATCH_DIR=") &&
        !names_a_key(variable)) {
      environment.emplace_back(variable);
    }
  }
  environment.push_back("WEFT_PROGRAM=" + launch.program);
  environment.push_back("WEFT_SCRATCH_DIR=" + launch.scratch_dir);
  std::vector<char*> args;
  for (const auto& arg : command) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (auto& variable : environment) env.push_back(variable.data());
  env.push_back(nullptr);
  const int spawned = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(call);
  ::close(async);
  if (spawned != 0) {
    pid_ = -1;
    throw Error(ErrorCode::backend_unavailable,
                "cannot start '" + command.front() + "': " + std::strerror(spawned));
  }
}

ProgramProcess::~ProgramProcess() {
  if (pid_ > 0) {
    kill();
    wait();
  }
}

void ProgramProcess::kill() {
  const sync::MutexLock lock(mutex_);
  if (pid_ > 0 && !status_) ::kill(pid_, SIGKILL);
}

int ProgramProcess::wait() {
  {
    const sync::MutexLock lock(mutex_);
    if (status_) return *status_;
  }
  // Waits without reaping first: until the reap below (under the lock kill() takes) the pid
  // cannot be reused, so a kill() from another thread never reaches a stranger.
  siginfo_t info{};
  while (::waitid(P_PID, pid_, &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  const sync::MutexLock lock(mutex_);
  while (!status_) {
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) {
      status_ = status;
    } else if (errno != EINTR) {
      status_ = 0;
    }
  }
  return *status_;
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}

}  // namespace weft::program
