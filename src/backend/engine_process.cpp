#include "backend/engine_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "backend/line_splitter.hpp"
#include "sync/mutex.hpp"
#include "weft/error.hpp"

extern char** environ;

namespace weft::backend {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kExitGrace = std::chrono::seconds(2);  // after stdout closed, or after SIGTERM

int milliseconds_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = strsignal(WTERMSIG(status));
    return "was killed by signal " + std::to_string(WTERMSIG(status)) +
           (name ? std::string(" (") + name + ")" : std::string());
  }
  return "ended";
}

// The child starts with default signal handling and an empty mask whatever the host blocks
// or ignores, in its own process group so that a terminal's Ctrl-C reaches only the host.
class SpawnAttributes {
 public:
  SpawnAttributes() {
    posix_spawnattr_init(&attributes_);
    sigset_t signals;
    sigemptyset(&signals);
    posix_spawnattr_setsigmask(&attributes_, &signals);
    for (int signal : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD}) {
      sigaddset(&signals, signal);
    }
    posix_spawnattr_setsigdefault(&attributes_, &signals);
    posix_spawnattr_setpgroup(&attributes_, 0);
    posix_spawnattr_setflags(
        &attributes_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attributes_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  const posix_spawnattr_t* get() const { return &attributes_; }

 private:
  posix_spawnattr_t attributes_;
};

class SpawnFileActions {
 public:
  SpawnFileActions(int stdin_fd, int stdout_fd) {
    posix_spawn_file_actions_init(&actions_);
    posix_spawn_file_actions_adddup2(&actions_, stdin_fd, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions_, stdout_fd, STDOUT_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Descriptors the host opened without close-on-exec stay out of the engine.
    posix_spawn_file_actions_addclosefrom_np(&actions_, STDERR_FILENO + 1);
#endif
  }
  ~SpawnFileActions() {
    posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  const posix_spawn_file_actions_t* get() const {
    return &actions_;
  }

 private:
  posix_spawn_file_actions_t actions_;
};

void log_to_stderr(std::string_view level, std::string_view message) {
  std::fprintf(stderr, "weft: engine %.*s: %.*s\n", static_cast<int>(level.size()), level.data(),
               static_cast<int>(message.size()), message.data());
}

}  // namespace

std::shared_ptr<EngineProcess> EngineProcess::spawn(EngineProcessOptions options) {
  std::shared_ptr<EngineProcess> process(new EngineProcess(std::move(options)));
  process->start_child();
  process->reader_ = std::thread([raw = process.get()] { raw->read_loop(); });
  return process;
}

EngineProcess::EngineProcess(EngineProcessOptions options) : options_(std::move(options)) {
  if (!options_.log) options_.log = log_to_stderr;
}

void EngineProcess::start_child() {
  int stdin_pair[2];
  int stdout_pipe[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stdin_pair) != 0) {
    throw Error(ErrorCode::backend_unavailable,
                std::string("cannot make the engine's stdin: ") + std::strerror(errno));
  }
  if (::pipe2(stdout_pipe, O_CLOEXEC) != 0) {
    const int error = errno;
    ::close(stdin_pair[0]);
    ::close(stdin_pair[1]);
    throw Error(ErrorCode::backend_unavailable,
                std::string("cannot make the engine's stdout: ") + std::strerror(error));
  }
  std::vector<std::string> words = {options_.binary};
  words.insert(words.end(), options_.arguments.begin(), options_.arguments.end());
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  int spawned = 0;
  {
    SpawnFileActions actions(stdin_pair[1], stdout_pipe[1]);
    SpawnAttributes attributes;
    spawned = ::posix_spawnp(&pid_, options_.binary.c_str(), actions.get(), attributes.get(),
                             argv.data(), environ);
  }
  ::close(stdin_pair[1]);
  ::close(stdout_pipe[1]);
  stdin_fd_ = stdin_pair[0];
  stdout_fd_ = stdout_pipe[0];
  if (spawned != 0) {
    pid_ = -1;
    close_fd(stdin_fd_);
    close_fd(stdout_fd_);
    throw Error(ErrorCode::backend_unavailable,
                "cannot start the engine '" + options_.binary + "': " + std::strerror(spawned));
  }
  ::fcntl(stdin_fd_, F_SETFL, ::fcntl(stdin_fd_, F_GETFL) | O_NONBLOCK);
}

EngineProcess::~EngineProcess() {
  if (reader_.joinable()) {
    write_line(protocol::engine::encode_shutdown(), std::chrono::milliseconds(100));
    {
      sync::MutexLock lock(write_mutex_);
      close_fd(stdin_fd_);  // end of input: an engine that ignored shutdown still sees it
    }
    sync::MutexLock lock(mutex_);
    if (!lock.wait_for(changed_, options_.shutdown_timeout,
                       [&]() WEFT_REQUIRES(mutex_) { return reaped_; })) {
      lock.unlock();
      log("warn", "the engine did not exit within " +
                      std::to_string(options_.shutdown_timeout.count()) +
                      " ms of shutdown; "
                      "sending SIGTERM");
      signal_child(SIGTERM);
      lock.lock();
      if (!lock.wait_for(changed_, kExitGrace, [&]() WEFT_REQUIRES(mutex_) { return reaped_; })) {
        lock.unlock();
        signal_child(SIGKILL);
      }
    }
    if (lock.owns_lock()) lock.unlock();
    reader_.join();
  }
  close_fd(stdin_fd_);
  close_fd(stdout_fd_);
}

void EngineProcess::log(std::string_view level, std::string_view message) const {
  options_.log(level, message);
}

void EngineProcess::signal_child(int signal) {
  sync::MutexLock lock(mutex_);
  // The whole group: also what a wrapper script started. Never after reaping, when the id
  // could belong to another process.
  if (!reaped_ && pid_ > 0) ::kill(-pid_, signal);
}

bool EngineProcess::child_exited() const {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid_;
}

void EngineProcess::read_loop() {
  LineSplitter splitter;
  std::array<char, 65536> buffer;
  while (true) {
    pollfd readable{stdout_fd_, POLLIN, 0};
    const int ready = ::poll(&readable, 1, 100);
    expire_stalled();
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      // A grandchild can hold stdout open after the engine died: look at the engine itself.
      if (!child_exited()) continue;
      // What it wrote is still read; then a read finds nothing (EAGAIN) and the loop ends.
      ::fcntl(stdout_fd_, F_SETFL, ::fcntl(stdout_fd_, F_GETFL) | O_NONBLOCK);
    }
    ssize_t n;
    do {
      n = ::read(stdout_fd_, buffer.data(), buffer.size());
    } while (n < 0 && errno == EINTR);
    if (n <= 0) break;
    try {
      for (const auto& line : splitter.feed(std::string_view(buffer.data(), n))) handle_line(line);
    } catch (const Error& error) {
      log("error",
          std::string("the engine's output is unusable (") + error.what() + "); stopping it");
      splitter.take_rest();
      signal_child(SIGKILL);
    }
  }
  if (auto rest = splitter.take_rest(); !rest.empty()) handle_line(rest);
  reap();
}

void EngineProcess::reap() {
  const auto deadline = Clock::now() + kExitGrace;
  while (!child_exited() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!child_exited()) {
    log("warn", "the engine closed its stdout but did not exit; killing it");
    signal_child(SIGKILL);
  }
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0 &&
         errno == EINTR) {
  }
  std::string description;
  {
    sync::MutexLock lock(mutex_);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    wait_status_ = status;
    reaped_ = true;
    closed_ = true;
    description = describe_status(status);
  }
  changed_.notify_all();
  fail_all("the engine '" + options_.binary + "' " + description);
}

void EngineProcess::fail_all(const std::string& message) {
  std::map<std::string, Inflight> failed;
  {
    sync::MutexLock lock(mutex_);
    failed.swap(inflight_);
  }
  for (auto& [id, generation] : failed) {
    generation.channel.error(ErrorCode::backend_unavailable, message);
  }
}

void EngineProcess::handle_line(std::string_view line) {
  auto decoded = protocol::engine::decode_event(line);
  if (auto* bad = std::get_if<protocol::engine::BadEvent>(&decoded)) {
    log("warn", "the engine wrote a line that is not protocol (" + bad->message + "); ignored");
  } else if (auto* event = std::get_if<protocol::engine::EngineEvent>(&decoded)) {
    dispatch(std::move(*event));
  }
}

void EngineProcess::dispatch(protocol::engine::EngineEvent event) {
  using Type = protocol::engine::EngineEvent::Type;
  if (event.type == Type::log) {
    log(event.level, event.message);
    return;
  }
  if (event.type == Type::ready || (event.type == Type::error && event.id.empty())) {
    {
      sync::MutexLock lock(mutex_);
      if (event.type == Type::ready) {
        readies_.push_back(event.model);
      } else {
        engine_errors_.push_back(event.message);
      }
    }
    changed_.notify_all();
    if (event.type == Type::error) log("error", event.message);
    return;
  }
  if (event.type == Type::meta) {
    sync::MutexLock lock(mutex_);
    if (auto found = inflight_.find(event.id); found != inflight_.end()) {
      found->second.last_heard = Clock::now();
    }
    return;
  }
  if (event.type == Type::token) {
    std::optional<GenerationChannel> channel;
    {
      sync::MutexLock lock(mutex_);
      auto found = inflight_.find(event.id);
      if (found == inflight_.end()) return;  // cancelled, or an id the engine made up
      found->second.streamed += event.text;
      ++found->second.tokens;
      found->second.last_heard = Clock::now();
      channel = found->second.channel;
    }
    channel->token({std::move(event.text), std::nullopt});
    return;
  }
  finish_generation(event.id, event);
}

void EngineProcess::finish_generation(const std::string& id,
                                      const protocol::engine::EngineEvent& event) {
  std::optional<Inflight> generation;
  {
    sync::MutexLock lock(mutex_);
    auto found = inflight_.find(id);
    if (found == inflight_.end()) return;
    generation = std::move(found->second);
    inflight_.erase(found);
  }
  if (event.type == protocol::engine::EngineEvent::Type::error) {
    generation->channel.error(event.code.value_or(ErrorCode::internal), "engine: " + event.message);
    return;
  }
  // An engine that sends its text only in `done` (or less in tokens than in it) still has
  // its whole answer streamed.
  const std::string& streamed = generation->streamed;
  if (event.text.size() > streamed.size() &&
      event.text.compare(0, streamed.size(), streamed) == 0) {
    generation->channel.token({event.text.substr(streamed.size()), std::nullopt});
  }
  DoneEvent done;
  done.reason = event.reason;
  done.usage = event.usage.value_or(Usage{0, generation->tokens, 0});
  generation->channel.done(std::move(done));
  ++completed_;
}

void EngineProcess::send_load(const std::string& model) {
  if (!write_line(protocol::engine::encode_load(model), options_.write_timeout)) {
    log("warn", "cannot send load to the engine");
  }
}

std::pair<size_t, size_t> EngineProcess::seen() const {
  sync::MutexLock lock(mutex_);
  return {readies_.size(), engine_errors_.size()};
}

std::optional<std::string> EngineProcess::wait_ready(const std::optional<std::string>& model,
                                                     size_t since, size_t since_errors,
                                                     std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  sync::MutexLock lock(mutex_);
  while (true) {
    for (size_t i = since; i < readies_.size(); ++i) {
      if (!model || readies_[i] == model) return readies_[i];
    }
    if (engine_errors_.size() > since_errors) {
      throw Error(ErrorCode::backend_unavailable,
                  "the engine '" + options_.binary +
                      "' did not get ready: " + engine_errors_[since_errors]);
    }
    if (closed_) {
      throw Error(ErrorCode::backend_unavailable, "the engine '" + options_.binary + "' " +
                                                      describe_status(wait_status_) +
                                                      " before it was ready");
    }
    if (lock.wait_until(changed_, deadline) == std::cv_status::timeout &&
        Clock::now() >= deadline) {
      throw Error(ErrorCode::backend_unavailable,
                  "the engine '" + options_.binary + "' was not ready within " +
                      std::to_string(timeout.count()) + " ms" +
                      (model ? " of load {model: " + *model + "}" : std::string()));
    }
  }
}

void EngineProcess::start_generation(const GenerationRequest& request, GenerationChannel channel) {
  std::string id;
  {
    sync::MutexLock lock(mutex_);
    if (closed_) {
      const std::string description = describe_status(wait_status_);
      channel.error(ErrorCode::backend_unavailable,
                    "the engine '" + options_.binary + "' " + description);
      return;
    }
    id = "weft-" + std::to_string(++next_id_);
    inflight_.emplace(id, Inflight{channel, {}, 0});
  }
  channel.on_cancel([weak = weak_from_this(), id] {
    if (auto self = weak.lock()) self->cancel(id);
  });
  if (!write_line(protocol::engine::encode_generate(id, request), options_.write_timeout)) {
    {
      sync::MutexLock lock(mutex_);
      inflight_.erase(id);
    }
    channel.error(ErrorCode::backend_unavailable,
                  "the engine '" + options_.binary + "' does not take requests; it is stopped");
    signal_child(SIGKILL);
  }
}

void EngineProcess::expire_stalled() {
  std::vector<std::pair<std::string, GenerationChannel>> stalled;
  {
    sync::MutexLock lock(mutex_);
    const auto now = Clock::now();
    for (auto it = inflight_.begin(); it != inflight_.end();) {
      if (now - it->second.last_heard < options_.stall_timeout) {
        ++it;
        continue;
      }
      stalled.emplace_back(it->first, it->second.channel);
      it = inflight_.erase(it);
    }
  }
  for (auto& [id, channel] : stalled) {
    channel.error(ErrorCode::backend_unavailable,
                  "the engine '" + options_.binary + "' sent nothing for this generation in " +
                      std::to_string(options_.stall_timeout.count()) + " ms");
    write_line(protocol::engine::encode_cancel(id), std::chrono::milliseconds(100));
  }
}

void EngineProcess::cancel(const std::string& id) {
  {
    sync::MutexLock lock(mutex_);
    if (inflight_.erase(id) == 0) return;  // ended already
  }
  // A hung engine must not hold up the caller's cancel: the stream has ended already.
  write_line(protocol::engine::encode_cancel(id), std::chrono::milliseconds(100));
}

bool EngineProcess::write_line(const std::string& line, std::chrono::milliseconds start_timeout) {
  sync::MutexLock lock(write_mutex_);
  if (stdin_fd_ < 0) return false;
  size_t written = 0;
  const auto start_deadline = Clock::now() + start_timeout;
  Clock::time_point finish_deadline;
  while (written < line.size()) {
    const ssize_t n = ::send(stdin_fd_, line.data() + written, line.size() - written, MSG_NOSIGNAL);
    if (n > 0) {
      if (written == 0) finish_deadline = Clock::now() + options_.write_timeout;
      written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int wait = milliseconds_until(written == 0 ? start_deadline : finish_deadline);
      pollfd writable{stdin_fd_, POLLOUT, 0};
      const int polled = wait > 0 ? ::poll(&writable, 1, wait) : 0;
      if (polled > 0 || (polled < 0 && errno == EINTR)) continue;
      if (written > 0) {
        log("error", "the engine stopped reading in the middle of a line; stopping it");
        signal_child(SIGKILL);
      }
      return false;
    }
    return false;  // EPIPE: the engine is gone; the reader reports it
  }
  return true;
}

bool EngineProcess::alive() const {
  sync::MutexLock lock(mutex_);
  return !closed_;
}

std::string EngineProcess::exit_description() const {
  sync::MutexLock lock(mutex_);
  return reaped_ ? describe_status(wait_status_) : "is running";
}

size_t EngineProcess::generations_in_flight() const {
  sync::MutexLock lock(mutex_);
  return inflight_.size();
}

}  // namespace weft::backend
