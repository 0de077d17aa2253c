#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/constraint_options.hpp"
#include "cli/generation_options.hpp"
#include "cli/local_backend.hpp"
#include "weft/client.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

struct RunOptions {
  std::string backend;
  std::string model;
  std::string prompt;
  bool raw = false;
  std::string host;     // a daemon's address: generate there instead of locally
  std::string api_key;  // for a TCP daemon that requires one
  LoadOptions load;
  GenerationOptions generation;
  ConstraintFlags constraints;
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

int run_prompt(const RunOptions& options) {
  if (!options.host.empty()) return run_on_daemon(options);
  auto registry = BackendRegistry::with_builtin_backends();
  auto choice = choose_local_backend(registry, options.backend, options.model);
  auto backend = registry.create(choice.selection.backend);
  backend->load(load_options_for(choice, options.load));

  GenerationRequest request;
  request.raw_prompt = options.raw;
  request.messages.push_back({Role::user, options.prompt});
  request.options = options.generation;
  auto stream = backend->generate(request);
  while (auto event = stream.next()) {
    if (auto* token = std::get_if<TokenEvent>(&*event)) {
      std::fwrite(token->text.data(), 1, token->text.size(), stdout);
      std::fflush(stdout);
    } else if (auto* error = std::get_if<ErrorEvent>(&*event)) {
      std::fputc('\n', stdout);
      throw Error(error->code, error->message);
    } else if (std::get_if<DoneEvent>(&*event)) {
      std::fputc('\n', stdout);
    }
  }
  return 0;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  auto* sub = app.add_subcommand("run", "Generate an answer to PROMPT and stream it to stdout");
  sub->add_option("prompt", options->prompt, "The prompt")->required();
  sub->add_option("-b,--backend", options->backend,
                  "Backend to use (see `weft backends`); default: auto-selection");
  sub->add_option("-m,--model", options->model,
                  "GGUF model file (native) or model name (remote backends); without one, "
                  "auto-selection prefers a reachable Ollama, then the bundled stories260K "
                  "model (context 512) on native");
  sub->add_flag("--raw", options->raw, "Use the prompt as is, without the chat template");
  sub->add_option("-c,--ctx", options->load.context_length, "Context length override");
  sub->add_option("--chat-template", options->load.chat_template_path,
                  "Jinja chat template file replacing the model's own (native backend)")
      ->check(CLI::ExistingFile);
  sub->add_option("-t,--threads", options->load.threads, "Threads (0 = physical cores)");
  sub->add_option("--host", options->host,
                  "Ask a running `weft serve` at ADDR instead (a socket path, unix:PATH or "
                  "HOST:PORT)");
  sub->add_option("--api-key", options->api_key, "API key for a TCP daemon that requires one")
      ->envname("WEFT_API_KEY");
  add_generation_options(*sub, options->generation);
  add_constraint_options(*sub, options->constraints);
  return {sub, [options] {
            apply_constraint_options(options->constraints, options->generation);
            return run_prompt(*options);
          }};
}

}  // namespace weft::cli
