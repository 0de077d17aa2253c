#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "backend/native_settings.hpp"
#include "cli/answer_report.hpp"
#include "cli/chat_command.hpp"
#include "cli/commands.hpp"
#include "cli/constraint_options.hpp"
#include "cli/generation_options.hpp"
#include "cli/gpu_layers_option.hpp"
#include "cli/kv_type_option.hpp"
#include "cli/load_progress.hpp"
#include "cli/local_backend.hpp"
#include "cli/run_arguments.hpp"
#include "cli/speculative_answer.hpp"
#include "protocol/runtime_dir.hpp"
#include "weft/client.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

struct RunOptions {
  std::string backend;
  RunArguments arguments;
  std::string model;   // from MODEL or -m, once parsed
  std::string prompt;  // from PROMPT, -p or stdin, once parsed
  bool chat = false;   // no prompt on a terminal: a conversation instead
  bool raw = false;
  bool verbose = false;
  bool stats = false;
  std::optional<int> gpu_layers;
  std::string kv_type = "f16";  // --kv-type, for the native backend
  std::string host;             // a daemon's address: generate there instead of locally
  std::string api_key;          // for a TCP daemon that requires one
  LoadOptions load;
  GenerationOptions generation;
  ConstraintFlags constraints;
  SpeculationFlags speculation;
};

// Streams the answer from a daemon (inferd protocol v1) instead of a local backend.
int run_on_daemon(const RunOptions& options) {
  if (options.raw) throw Error(ErrorCode::invalid_request, "--raw is not available with --host");
  auto daemon = client::Client::dial(client::Address::parse(options.host), options.api_key);
  GenerationRequest request;
  request.messages.push_back({Role::user, options.prompt});
  request.options = options.generation;
  auto frames = daemon.generate(request);
  while (auto frame = frames.next()) {
    if (frame->type == client::Frame::Type::token) {
      std::fwrite(frame->content.data(), 1, frame->content.size(), stdout);
      std::fflush(stdout);
    } else if (frame->type == client::Frame::Type::error) {
      std::fputc('\n', stdout);
      throw Error(ErrorCode::backend_unavailable, frame->code + ": " + frame->message);
    } else if (frame->type == client::Frame::Type::done) {
      std::fputc('\n', stdout);
    }
  }
  return 0;
}

// A daemon listening on the default socket could answer instead; say so rather than bypass it
// silently.
void mention_running_daemon() {
  std::error_code ignored;
  const std::string socket = protocol::resolve_runtime_dir() + "/" + protocol::kInferenceSocketName;
  if (std::filesystem::is_socket(socket, ignored))
    std::fprintf(stderr, "weft: a daemon's socket is at %s; --host %s would ask it\n",
                 socket.c_str(), socket.c_str());
}

// `weft run MODEL` on a terminal without a prompt: a conversation, as `weft chat MODEL`.
int run_as_chat(const RunOptions& options) {
  ChatOptions chat;
  chat.backend = options.backend;
  chat.model = options.model;
  chat.gpu_layers = options.gpu_layers;
  chat.kv_type = options.kv_type;
  chat.verbose = options.verbose;
  chat.stats = options.stats;
  chat.load = options.load;
  chat.generation = options.generation;
  return run_chat(chat);
}

// --draft / --lookup: on the native backend's contexts instead of its scheduler's requests.
int answer_with_speculation(const RunOptions& options, Backend& backend,
                            const LocalBackendChoice& choice, const GenerationRequest& request,
                            std::chrono::nanoseconds load_time) {
  auto* native = dynamic_cast<backend::NativeBackend*>(&backend);
  if (!native)
    throw Error(ErrorCode::invalid_request, "--draft and --lookup need the native backend (" +
                                                choice.selection.backend + " was chosen)");
  const auto answer = answer_speculatively(*native, request, options.speculation,
                                           options.load.threads, [](std::string_view text) {
                                             std::fwrite(text.data(), 1, text.size(), stdout);
                                             std::fflush(stdout);
                                           });
  std::fputc('\n', stdout);
  std::fflush(stdout);
  AnswerReport report{answer.done, load_time, answer.streamed_tokens};
  if (options.verbose) {
    std::fprintf(stderr, "weft: %s\n", speed_line(report).c_str());
    std::fprintf(stderr, "weft: %s\n", speculation_line(answer).c_str());
  }
  if (options.stats) {
    auto stats = stats_json(report);
    stats["speculation"] = speculation_json(answer);
    std::fprintf(stderr, "%s\n", stats.dump().c_str());
  }
  return 0;
}

// --draft and --lookup apply to one prompt answered here.
void refuse_speculation_elsewhere(const RunOptions& options) {
  if (!options.speculation.wanted()) return;
  if (options.chat)
    throw Error(ErrorCode::invalid_request,
                "--draft and --lookup need a prompt (a conversation does not speculate yet)");
  if (!options.host.empty())
    throw Error(ErrorCode::invalid_request,
                "--draft and --lookup are not available with --host (the daemon speculates "
                "for every request when it is started with `weft serve --draft MODEL` or "
                "`--lookup`)");
}

int run_prompt(const RunOptions& options) {
  refuse_speculation_elsewhere(options);
  if (options.chat) {
    mention_running_daemon();
    return run_as_chat(options);
  }
  report_gpu_layers_ignored(options.gpu_layers);
  if (!options.host.empty()) return run_on_daemon(options);
  mention_running_daemon();
  const bool announce = options.verbose || isatty(STDERR_FILENO);
  auto registry = BackendRegistry::with_builtin_backends();
  backend::use_native_settings(registry, options.kv_type);
  auto choice = choose_local_backend(registry, options.backend, options.model);
  if (announce) std::fprintf(stderr, "weft: %s\n", describe_choice(choice).c_str());
  auto backend = registry.create(choice.selection.backend);
  const auto load_start = std::chrono::steady_clock::now();
  load_with_progress(*backend, load_options_for(choice, options.load),
                     LoadProgressDisplay::mode_for_stderr(options.verbose));
  const auto load_time = std::chrono::steady_clock::now() - load_start;
  if (options.verbose)
    std::fprintf(stderr, "weft: loaded in %s\n", seconds_text(load_time).c_str());

  GenerationRequest request;
  request.raw_prompt = options.raw;
  request.messages.push_back({Role::user, options.prompt});
  request.options = options.generation;
  if (options.speculation.wanted())
    return answer_with_speculation(options, *backend, choice, request, load_time);
  auto stream = backend->generate(request);
  uint32_t tokens_seen = 0;
  while (auto event = stream.next()) {
    if (auto* token = std::get_if<TokenEvent>(&*event)) {
      ++tokens_seen;
      std::fwrite(token->text.data(), 1, token->text.size(), stdout);
      std::fflush(stdout);
    } else if (auto* error = std::get_if<ErrorEvent>(&*event)) {
      std::fputc('\n', stdout);
      throw Error(error->code, error->message);
    } else if (auto* done = std::get_if<DoneEvent>(&*event)) {
      std::fputc('\n', stdout);
      std::fflush(stdout);
      AnswerReport report{*done, load_time, tokens_seen};
      if (options.verbose) std::fprintf(stderr, "weft: %s\n", speed_line(report).c_str());
      if (options.stats) std::fprintf(stderr, "%s\n", stats_json(report).dump().c_str());
    }
  }
  return 0;
}

// Fills in the model and the prompt from MODEL, PROMPT, -m, -p and stdin; a missing prompt is
// a command-line error (exit 2).
void settle_model_and_prompt(RunOptions& options) {
  auto settled = split_model_and_prompt(options.arguments);
  options.model = settled.model;
  if (!settled.prompt && isatty(STDIN_FILENO) && options.host.empty() && !options.raw) {
    options.chat = true;
    return;
  }
  if (!settled.prompt && !isatty(STDIN_FILENO)) settled.prompt = prompt_from_stdin();
  if (!settled.prompt || settled.prompt->empty())
    throw CLI::ValidationError(
        "no prompt: give PROMPT (or -p) or pipe it on stdin (on a terminal, no prompt starts a "
        "conversation)");
  options.prompt = *settled.prompt;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  auto* sub = app.add_subcommand("run", "Generate an answer to PROMPT and stream it to stdout");
  sub->add_option(
         "args", options->arguments.positionals,
         "[MODEL] [PROMPT]. With one argument it is MODEL if -p gave the prompt, PROMPT "
         "if -m gave the model, else MODEL only when it names an existing file, ends in "
         ".gguf or starts with hf.co/. Without PROMPT the prompt is read from stdin "
         "(`echo hi | weft run`); on a terminal, a conversation starts as with `weft chat`.")
      ->expected(0, 2);
  sub->add_option("-p,--prompt", options->arguments.prompt_option, "The prompt, as PROMPT");
  sub->add_option("-b,--backend", options->backend,
                  "Backend to use (see `weft backends`); default: auto-selection");
  sub->add_option("-m,--model", options->arguments.model_option,
                  "GGUF file, store name or a name to pull such as hf.co/ORG/REPO:QUANT "
                  "(native; docs/models.md) or model name (remote backends), as MODEL; without "
                  "one, auto-selection prefers a reachable Ollama, then the bundled stories260K "
                  "model (context 512) on native");
  sub->add_flag("--raw", options->raw, "Use the prompt as is, without the chat template");
  sub->add_flag("-v,--verbose", options->verbose,
                "Say which backend and model answer and why, the load time and, after the "
                "answer, prompt and generation tokens/s (on stderr)");
  sub->add_flag("--stats", options->stats,
                "After the answer, print its timings and token counts as one JSON line on "
                "stderr");
  sub->add_option("-c,--ctx", options->load.context_length, "Context length override");
  sub->add_option("--chat-template", options->load.chat_template_path,
                  "Jinja chat template file replacing the model's own (native backend)")
      ->check(CLI::ExistingFile);
  sub->add_option("-t,--threads", options->load.threads, "Threads (0 = physical cores)");
  add_gpu_layers_option(*sub, options->gpu_layers);
  add_kv_type_option(*sub, options->kv_type);
  sub->add_option("--host", options->host,
                  "Ask a running `weft serve` at ADDR instead (a socket path, unix:PATH or "
                  "HOST:PORT)");
  sub->add_option("--api-key", options->api_key, "API key for a TCP daemon that requires one")
      ->envname("WEFT_API_KEY");
  add_generation_options(*sub, options->generation, SeedShortFlag::yes);
  add_constraint_options(*sub, options->constraints);
  add_speculation_options(*sub, options->speculation);
  sub->callback([options] { settle_model_and_prompt(*options); });
  return {sub, [options] {
            apply_constraint_options(options->constraints, options->generation);
            return run_prompt(*options);
          }};
}

}  // namespace weft::cli
