// `weft program run FILE.js`: runs a program (inferlet) against a model loaded in this
// process (docs/programs.md).
#include <poll.h>
#include <pwd.h>
#include <unistd.h>

#include <sys/socket.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>

#include "cli/commands.hpp"
#include "program/message_hub.hpp"
#include "program/program_process.hpp"
#include "program/program_session.hpp"
#include "weft/context.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct ProgramOptions {
  std::string file;
  std::string model;
  std::string input = "{}";
  std::optional<uint64_t> seed;
  double timeout_seconds = 300;
  int64_t max_pages = 0;
  int64_t max_contexts = 64;
  std::string sandbox = "auto";
  std::string node = "node";
  unsigned threads = 0;
  int64_t context_length = 0;
  bool verbose = false;
};

std::string sdk_dir() {
  if (const char* override_dir = std::getenv("WEFT_SDK_DIR")) return override_dir;
  for (const char* candidate : {WEFT_SOURCE_SDK, WEFT_INSTALLED_SDK}) {
    if (fs::exists(fs::path(candidate) / "runner.mjs")) return candidate;
  }
  throw Error("the inferlet SDK was not found (looked in " + std::string(WEFT_SOURCE_SDK) +
              " and " + WEFT_INSTALLED_SDK + "); set WEFT_SDK_DIR to its sdk/js directory");
}

std::string username() {
  if (const char* user = std::getenv("USER")) return user;
  if (const passwd* entry = ::getpwuid(::getuid())) return entry->pw_name;
  return "";
}

std::string random_hex(std::mt19937_64& random) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(random()));
  return text;
}

// A directory the program may write, removed when the run ends.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "weft-program-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw Error("cannot create a scratch directory");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Lines of stdin become session messages; its end ends the session's input.
class StdinMessages {
 public:
  explicit StdinMessages(program::ProgramSession& session)
      : thread_([this, &session] { run(session); }) {}
  ~StdinMessages() {
    stopping_ = true;
    thread_.join();
  }

 private:
  void run(program::ProgramSession& session) {
    std::string pending;
    while (!stopping_) {
      pollfd stdin_poll{STDIN_FILENO, POLLIN, 0};
      const int ready = ::poll(&stdin_poll, 1, 100);
      if (ready <= 0) continue;
      char chunk[4096];
      const ssize_t got = ::read(STDIN_FILENO, chunk, sizeof(chunk));
      if (got <= 0) break;
      pending.append(chunk, static_cast<size_t>(got));
      for (auto newline = pending.find('\n'); newline != std::string::npos;
           newline = pending.find('\n')) {
        session.deliver(pending.substr(0, newline));
        pending.erase(0, newline + 1);
      }
    }
    if (!pending.empty()) session.deliver(pending);
    session.end_input();
  }

  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Kills the process when the deadline passes before disarm().
class Watchdog {
 public:
  Watchdog(program::ProgramProcess& process, std::chrono::duration<double> limit)
      : thread_([this, &process, limit] {
          std::unique_lock lock(mutex_);
          if (!changed_.wait_for(lock, limit, [&] { return disarmed_; })) {
            fired_ = true;
            process.kill();
          }
        }) {}
  ~Watchdog() {
    disarm();
    thread_.join();
  }
  void disarm() {
    {
      const std::lock_guard lock(mutex_);
      disarmed_ = true;
    }
    changed_.notify_all();
  }
  bool fired() const {
    const std::lock_guard lock(mutex_);
    return fired_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool disarmed_ = false;
  bool fired_ = false;
  std::thread thread_;
};

json parse_input(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception& error) {
    throw Error(std::string("--input is not JSON: ") + error.what());
  }
}

void socket_pair(int fds[2]) {
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw Error(ErrorCode::internal, "socketpair failed");
  }
}

int run_program(const ProgramOptions& options) {
  const auto program_path = fs::absolute(options.file).lexically_normal().string();
  if (!fs::is_regular_file(program_path)) throw Error("no program file '" + options.file + "'");
  if (options.timeout_seconds <= 0) throw Error("--timeout must be greater than 0");
  if (options.max_contexts < 1) throw Error("--max-contexts must be at least 1");
  const auto input = parse_input(options.input);

  ScratchDir scratch;
  program::ProgramLaunch launch{.node = options.node,
                                .sdk_dir = sdk_dir(),
                                .program = program_path,
                                .scratch_dir = scratch.path(),
                                .sandbox = program::parse_sandbox(options.sandbox)};
  const auto plan = program::plan_sandbox(launch);
  if (options.verbose) {
    std::fprintf(stderr, "weft: sandbox: node permissions %s, bubblewrap %s\n",
                 plan.node_permissions ? "on" : "off", plan.bubblewrap ? "on" : "off");
    for (const auto& note : plan.notes) std::fprintf(stderr, "weft: sandbox: %s\n", note.c_str());
  }

  const bool default_model = options.model.empty();
  ContextRuntimeOptions runtime_options{
      .model_path = default_model ? default_model_path() : options.model,
      .context_length = options.context_length > 0 ? options.context_length
                        : default_model            ? int64_t{kDefaultModelContext}
                                                   : 0,
      .threads = options.threads};
  auto runtime = ContextRuntime::open(runtime_options);

  std::random_device device;
  std::mt19937_64 random((uint64_t{device()} << 32) | device());
  program::MessageHub hub;
  std::mutex output_mutex;
  program::ProgramSetup setup{
      .input = input,
      .seed = options.seed ? *options.seed : random(),
      .instance_id = random_hex(random),
      .username = username(),
      .max_contexts = options.max_contexts,
      .max_pages = options.max_pages,
      .on_send =
          [&](const std::string& message) {
            const std::lock_guard lock(output_mutex);
            std::fprintf(stderr, "%s\n", message.c_str());
            std::fflush(stderr);
          },
  };
  program::ProgramSession session(runtime, hub, std::move(setup));

  int call[2];
  int async[2];
  socket_pair(call);
  socket_pair(async);
  program::ProgramProcess process(program::program_command(launch, plan), launch, call[1],
                                  async[1]);
  ::close(call[1]);
  ::close(async[1]);
  program::ProgramOutcome outcome;
  bool timed_out = false;
  int status = 0;
  {
    Watchdog watchdog(process, std::chrono::duration<double>(options.timeout_seconds));
    StdinMessages messages(session);
    outcome = session.serve(call[0], async[0]);
    status = process.wait();
    watchdog.disarm();
    timed_out = watchdog.fired();
  }
  if (timed_out) {
    throw Error("the program ran past its time limit of " +
                std::to_string(options.timeout_seconds) + " s (--timeout) and was stopped");
  }
  switch (outcome.kind) {
    case program::ProgramOutcome::Kind::returned:
      std::printf("%s\n",
                  outcome.value.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
      return 0;
    case program::ProgramOutcome::Kind::failed:
      std::fprintf(stderr, "weft: the program failed: %s\n", outcome.error.c_str());
      return 1;
    case program::ProgramOutcome::Kind::vanished:
      break;
  }
  std::fprintf(stderr, "weft: the program's process %s before main() returned\n",
               program::describe_exit(status).c_str());
  return 1;
}

}  // namespace

Command add_program_command(CLI::App& app) {
  auto* program = app.add_subcommand(
      "program", "Run programs (inferlets) that drive the model's forward passes themselves");
  program->require_subcommand(1);
  auto* run = program->add_subcommand(
      "run", "Run FILE.js's main(input) against a model; print its result as JSON");
  auto options = std::make_shared<ProgramOptions>();
  run->add_option("file", options->file, "The program: an ES module exporting main(input)")
      ->required();
  run->add_option("-m,--model", options->model,
                  "GGUF model file (default: the embedded stories260K)");
  run->add_option("--input", options->input, "main()'s argument, as JSON (default {})");
  run->add_option("-s,--seed", options->seed,
                  "Seed of the samplers that do not set their own (default: random)");
  run->add_option("--timeout", options->timeout_seconds,
                  "Seconds the program may run before it is stopped (default 300)");
  run->add_option("--max-pages", options->max_pages,
                  "KV pages the program's contexts may span (default 0: the pool)");
  run->add_option("--max-contexts", options->max_contexts,
                  "Contexts the program may hold at once (default 64)");
  run->add_option("--sandbox", options->sandbox,
                  "auto (every layer available), bwrap, node, or none (docs/programs.md)");
  run->add_option("--node", options->node, "The Node.js executable (default: node on PATH)");
  run->add_option("-t,--threads", options->threads, "Threads (0 = hardware concurrency)");
  run->add_option("-c,--ctx", options->context_length, "Context length override");
  run->add_flag("-v,--verbose", options->verbose, "Say which sandbox layers are in use");
  return {program, [options] { return run_program(*options); }};
}

}  // namespace weft::cli
