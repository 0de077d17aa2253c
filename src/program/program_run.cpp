#include "program/program_run.hpp"

#include <pwd.h>
#include <unistd.h>

#include <sys/socket.h>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::program {
namespace {

namespace fs = std::filesystem;

std::string username() {
  if (const char* user = std::getenv("USER")) return user;
  // The reentrant form: a daemon starts programs on several threads at once.
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found) {
    return entry.pw_name;
  }
  return "";
}

uint64_t random_u64() {
  std::random_device device;
  return (uint64_t{device()} << 32) | device();
}

std::string random_hex() {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(random_u64()));
  return text;
}

// Calls `expire` when the deadline passes before disarm().
class Watchdog {
 public:
  Watchdog(std::function<void()> expire, std::chrono::duration<double> limit)
      : thread_([this, expire = std::move(expire), limit] {
          sync::MutexLock lock(mutex_);
          if (!lock.wait_for(changed_, limit, [&]() WEFT_REQUIRES(mutex_) { return disarmed_; })) {
            fired_ = true;
            lock.unlock();
            expire();
          }
        }) {}
  ~Watchdog() {
    disarm();
    thread_.join();
  }
  void disarm() {
    {
      const sync::MutexLock lock(mutex_);
      disarmed_ = true;
    }
    changed_.notify_all();
  }
  bool fired() const {
    const sync::MutexLock lock(mutex_);
    return fired_;
  }

 private:
  mutable sync::Mutex mutex_;
  std::condition_variable changed_;
  bool disarmed_ WEFT_GUARDED_BY(mutex_) = false;
  bool fired_ WEFT_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

struct SocketPair {
  SocketPair() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      throw Error(ErrorCode::internal, "socketpair failed");
    }
  }
  ~SocketPair() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  // The descriptor leaves this pair's care.
  int take(int index) { return std::exchange(fds[index], -1); }
  int fds[2];
};

ProgramSetup session_setup(ProgramRunOptions& options) {
  return {.input = options.input,
          .seed = options.seed ? *options.seed : random_u64(),
          .instance_id = random_hex(),
          .username = username(),
          .max_contexts = options.max_contexts,
          .max_pages = options.max_pages,
          .on_send = options.on_send,
          .on_send_file = options.on_send_file,
          .files = options.files};
}

}  // namespace

ScratchDir::ScratchDir() {
  std::string pattern = (fs::temp_directory_path() / "weft-program-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error(ErrorCode::internal,
                "cannot create a scratch directory in " + fs::temp_directory_path().string());
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

ProgramRun::ProgramRun(std::shared_ptr<ContextRuntime> runtime, MessageHub& hub,
                       ProgramRunOptions options)
    : options_(std::move(options)), session_(std::move(runtime), hub, session_setup(options_)) {}

ProgramRun::~ProgramRun() = default;

ProgramRunResult ProgramRun::run() {
  const auto program_path = fs::absolute(options_.program_path).lexically_normal().string();
  if (!fs::is_regular_file(program_path)) {
    throw Error("no program file '" + options_.program_path + "'");
  }
  if (!(options_.timeout.count() > 0)) throw Error("a program's timeout must be more than 0 s");
  if (options_.max_contexts < 1) throw Error("a program's context limit must be at least 1");

  ScratchDir scratch;
  ProgramLaunch launch{.node = options_.node,
                       .sdk_dir = options_.sdk_dir,
                       .program = program_path,
                       .scratch_dir = scratch.path(),
                       .sandbox = options_.sandbox};
  const SandboxPlan plan = options_.plan ? *options_.plan : plan_sandbox(launch);
  SocketPair call;
  SocketPair async;
  std::unique_ptr<ProgramProcess> process;
  {
    const sync::MutexLock lock(mutex_);
    if (stopped_) {
      ProgramRunResult stopped;
      stopped.kind = ProgramRunResult::Kind::stopped;
      return stopped;
    }
    process = std::make_unique<ProgramProcess>(program_command(launch, plan), launch, call.fds[1],
                                               async.fds[1]);
    process_ = process.get();
  }
  // The child has its copies; ours would keep the channels open after it dies.
  ::close(call.take(1));
  ::close(async.take(1));
  ProgramOutcome outcome;
  int status = 0;
  bool timed_out = false;
  {
    Watchdog watchdog([this] { kill_process(); }, options_.timeout);
    outcome = session_.serve(call.take(0), async.take(0));
    status = process->wait();
    watchdog.disarm();
    timed_out = watchdog.fired();
  }
  {
    const sync::MutexLock lock(mutex_);
    process_ = nullptr;
  }
  return finish(outcome, status, timed_out);
}

ProgramRunResult ProgramRun::finish(const ProgramOutcome& outcome, int status, bool timed_out) {
  ProgramRunResult result;
  switch (outcome.kind) {
    case ProgramOutcome::Kind::returned:
      result.kind = ProgramRunResult::Kind::returned;
      result.value = outcome.value;
      return result;
    case ProgramOutcome::Kind::failed:
      result.kind = ProgramRunResult::Kind::failed;
      result.message = outcome.error;
      break;
    case ProgramOutcome::Kind::vanished:
      result.kind = ProgramRunResult::Kind::vanished;
      result.message = "the program's process " + describe_exit(status) + " before main() returned";
      break;
  }
  // A kill explains the failure better than what the dying channels said.
  const sync::MutexLock lock(mutex_);
  if (timed_out) result.kind = ProgramRunResult::Kind::timed_out;
  if (stopped_) result.kind = ProgramRunResult::Kind::stopped;
  return result;
}

void ProgramRun::kill_process() {
  const sync::MutexLock lock(mutex_);
  if (process_) process_->kill();
}

void ProgramRun::stop() {
  {
    const sync::MutexLock lock(mutex_);
    stopped_ = true;
    if (process_) process_->kill();
  }
  session_.stop();
}

bool ProgramRun::deliver(std::string message) {
  return session_.deliver(std::move(message));
}

void ProgramRun::end_input() {
  session_.end_input();
}

std::string describe(const ProgramRunResult& result, std::chrono::duration<double> timeout) {
  switch (result.kind) {
    case ProgramRunResult::Kind::returned:
      return "the program returned";
    case ProgramRunResult::Kind::failed:
      return "the program failed: " + result.message;
    case ProgramRunResult::Kind::timed_out: {
      char seconds[32];
      std::snprintf(seconds, sizeof(seconds), "%g", timeout.count());
      return std::string("the program ran past its time limit of ") + seconds +
             " s and was stopped";
    }
    case ProgramRunResult::Kind::stopped:
      return "the program was stopped";
    case ProgramRunResult::Kind::vanished:
      return result.message;
  }
  return result.message;
}

}  // namespace weft::program
