// `weft program run FILE.js`: runs a program (inferlet) against a model loaded in this
// process (docs/programs.md).
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "program/message_hub.hpp"
#include "program/program_run.hpp"
#include "store/model_resolver.hpp"
#include "sync/mutex.hpp"
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
  int64_t kv_pages = 0;
  std::string chat_template;
  std::vector<std::string> files;  // session.receiveFile's files, in order
  std::string files_out;           // where session.sendFile's files go
  bool verbose = false;
};

// Lines of stdin become session messages; its end ends the session's input.
class StdinMessages {
 public:
  explicit StdinMessages(program::ProgramRun& program)
      : thread_([this, &program] { run(program); }) {}
  ~StdinMessages() {
    stopping_ = true;
    thread_.join();
  }

 private:
  void run(program::ProgramRun& program) {
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
        deliver(program, pending.substr(0, newline));
        pending.erase(0, newline + 1);
      }
    }
    if (!pending.empty()) deliver(program, pending);
    program.end_input();
  }

  // Stdin waits while the program's inbox is full (it receives slower than stdin comes).
  void deliver(program::ProgramRun& program, const std::string& message) {
    while (!program.deliver(message) && !stopping_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

json parse_input(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception& error) {
    throw Error(std::string("--input is not JSON: ") + error.what());
  }
}

std::vector<std::string> read_files(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("--file: cannot read '" + path + "'");
    files.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return files;
}

// session.sendFile's files become DIR/file-1.bin, file-2.bin, … in the order sent.
std::function<void(const std::string&)> file_writer(const std::string& dir) {
  if (dir.empty()) return {};
  if (!fs::is_directory(dir)) throw Error("--files-out: no directory '" + dir + "'");
  auto count = std::make_shared<int>(0);
  return [dir, count](const std::string& bytes) {
    const auto path = fs::path(dir) / ("file-" + std::to_string(++*count) + ".bin");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) throw Error("session.sendFile: cannot write " + path.string());
  };
}

int run_program(const ProgramOptions& options) {
  if (!fs::is_regular_file(options.file)) throw Error("no program file '" + options.file + "'");
  if (options.timeout_seconds <= 0) throw Error("--timeout must be greater than 0");
  if (options.max_contexts < 1) throw Error("--max-contexts must be at least 1");
  program::ProgramRunOptions run_options;
  run_options.program_path = options.file;
  run_options.sdk_dir = inferlet_sdk_dir();
  run_options.input = parse_input(options.input);
  run_options.seed = options.seed;
  run_options.timeout = std::chrono::duration<double>(options.timeout_seconds);
  run_options.max_pages = options.max_pages;
  run_options.max_contexts = options.max_contexts;
  run_options.node = options.node;
  run_options.sandbox = program::parse_sandbox(options.sandbox);
  run_options.files = read_files(options.files);
  run_options.on_send_file = file_writer(options.files_out);
  program::ProgramLaunch probe;
  probe.node = run_options.node;
  probe.sandbox = run_options.sandbox;
  run_options.plan = program::plan_sandbox(probe);
  if (options.verbose) {
    const auto& plan = *run_options.plan;
    std::fprintf(stderr, "weft: sandbox: node permissions %s, bubblewrap %s\n",
                 plan.node_permissions ? "on" : "off", plan.bubblewrap ? "on" : "off");
    for (const auto& note : plan.notes) std::fprintf(stderr, "weft: sandbox: %s\n", note.c_str());
  }
  sync::Mutex output_mutex;
  run_options.on_send = [&](const std::string& message) {
    const sync::MutexLock lock(output_mutex);
    std::fprintf(stderr, "%s\n", message.c_str());
    std::fflush(stderr);
  };

  const bool default_model = options.model.empty();
  ContextRuntimeOptions runtime_options{
      .model_path = default_model ? default_model_path() : store::resolve_model_path(options.model),
      .context_length = options.context_length > 0 ? options.context_length
                        : default_model            ? int64_t{kDefaultModelContext}
                                                   : 0,
      .threads = options.threads,
      .kv_pages = options.kv_pages,
      // Programs fork: room for several contexts of the full length by default.
      .kv_contexts = 4,
      .chat_template_path = options.chat_template};
  auto runtime = ContextRuntime::open(runtime_options);
  program::MessageHub hub;
  program::ProgramRun program(runtime, hub, std::move(run_options));
  program::ProgramRunResult result;
  {
    StdinMessages messages(program);
    result = program.run();
  }
  switch (result.kind) {
    case program::ProgramRunResult::Kind::returned:
      std::printf("%s\n",
                  result.value.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
      return 0;
    case program::ProgramRunResult::Kind::timed_out:
      throw Error(describe(result, std::chrono::duration<double>(options.timeout_seconds)) +
                  " (--timeout)");
    case program::ProgramRunResult::Kind::failed:
      std::fprintf(stderr, "weft: the program failed: %s\n", result.message.c_str());
      return 1;
    case program::ProgramRunResult::Kind::stopped:
    case program::ProgramRunResult::Kind::vanished:
      break;
  }
  std::fprintf(stderr, "weft: %s\n", result.message.c_str());
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
                  "Distinct KV pages the program's contexts may hold (default 0: the pool)");
  run->add_option("--max-contexts", options->max_contexts,
                  "Contexts the program may hold at once (default 64)");
  run->add_option("--sandbox", options->sandbox,
                  "auto (every layer available), bwrap, node, or none (docs/programs.md)");
  run->add_option("--node", options->node, "The Node.js executable (default: node on PATH)");
  run->add_option("-t,--threads", options->threads, "Threads (0 = hardware concurrency)");
  run->add_option("-c,--ctx", options->context_length, "Context length override");
  run->add_option("--kv-pages", options->kv_pages,
                  "KV pool size in pages (default: four full contexts)");
  run->add_option("--chat-template", options->chat_template,
                  "A Jinja chat template file instead of the model's own");
  run->add_option("--file", options->files,
                  "A file for session.receiveFile (repeatable: received in this order)");
  run->add_option("--files-out", options->files_out,
                  "An existing directory for session.sendFile's files (file-1.bin, file-2.bin, …)");
  run->add_flag("-v,--verbose", options->verbose, "Say which sandbox layers are in use");
  return {program, [options] { return run_program(*options); }};
}

}  // namespace weft::cli
