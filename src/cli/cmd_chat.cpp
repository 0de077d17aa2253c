// `weft chat`: an interactive conversation in the terminal over any backend. Reads lines from
// stdin — with a line editor on a terminal, as they come from a pipe — and writes answers to
// stdout as they stream.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "backend/native_backend.hpp"
#include "backend/native_settings.hpp"
#include "chat/chat_session.hpp"
#include "cli/answer_report.hpp"
#include "cli/chat_command.hpp"
#include "cli/chat_input.hpp"
#include "cli/commands.hpp"
#include "cli/constraint_options.hpp"
#include "cli/generation_options.hpp"
#include "cli/gpu_layers_option.hpp"
#include "cli/interrupt_watcher.hpp"
#include "cli/kv_type_option.hpp"
#include "cli/line_editor.hpp"
#include "cli/load_progress.hpp"
#include "cli/local_backend.hpp"
#include "cli/terminal_style.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

void print_out(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void report_turn(const chat::TurnResult& turn, bool stats, const TerminalStyle& style) {
  if (auto* error = std::get_if<ErrorEvent>(&turn.terminal)) {
    std::fprintf(stderr, "weft: error: %s\n", error->message.c_str());
    return;
  }
  const auto& done = std::get<DoneEvent>(turn.terminal);
  if (done.reason == StopReason::cancelled)
    std::fprintf(stderr, "%s\n", style.dim("(stopped)").c_str());
  if (stats) {
    const std::string line = "[" + done.backend + ": " + std::to_string(done.usage.prompt_tokens) +
                             " prompt tokens, " + std::to_string(done.usage.completion_tokens) +
                             " generated, stop: " + std::string(to_string(done.reason)) + "]";
    std::fprintf(stderr, "%s\n", style.dim(line).c_str());
  }
}

// With the native backend the session counts a conversation's tokens before sending it, so
// that it can leave out the oldest turns when the context would overflow.
void fit_conversations_to_context(chat::ChatSession& session, Backend& backend) {
  auto* native = dynamic_cast<backend::NativeBackend*>(&backend);
  if (!native) return;
  session.set_context_window(
      native->model_info().context_length,
      [native](const GenerationRequest& request) { return native->prompt_tokens(request); });
}

std::unique_ptr<LineSource> line_source(bool interactive, int wake_fd) {
  if (interactive)
    return std::make_unique<LineEditor>(wake_fd, chat_history_path(),
                                        colours_wanted(STDOUT_FILENO));
  return std::make_unique<PipeLineSource>(wake_fd);
}

}  // namespace

int run_chat(const ChatOptions& options) {
  // First, before the backend starts any thread: they must all inherit the blocked SIGINT.
  InterruptWatcher interrupts;
  report_gpu_layers_ignored(options.gpu_layers);
  auto registry = BackendRegistry::with_builtin_backends();
  backend::use_native_settings(registry, options.kv_type);
  const std::string& model =
      options.positional_model.empty() ? options.model : options.positional_model;
  auto choice = choose_local_backend(registry, options.backend, model);
  auto backend = registry.create(choice.selection.backend);
  load_with_progress(*backend, load_options_for(choice, options.load),
                     LoadProgressDisplay::mode_for_stderr(options.verbose));

  chat::ChatSession session(*backend, options.generation, choice.model);
  if (!options.system_prompt.empty()) session.set_system_prompt(options.system_prompt);
  fit_conversations_to_context(session, *backend);
  const bool interactive = isatty(STDIN_FILENO);
  if (interactive)
    std::fprintf(stderr, "weft chat with %s. /help lists the commands.\n",
                 describe_choice(choice).c_str());

  auto source = line_source(interactive, interrupts.wake_fd());
  const TerminalStyle style{colours_wanted(STDERR_FILENO)};
  chat::MultilineMessage assembler;
  bool interrupted_before = false;
  bool told_about_dropping = false;
  while (true) {
    UserInput input = read_user_input(*source, assembler);
    if (input.status == InputStatus::end) {
      if (interactive) print_out("\n");
      return 0;
    }
    if (input.status == InputStatus::interrupted) {
      interrupts.take_interrupt();
      if (interrupted_before) {
        print_out("\n");
        return 0;
      }
      interrupted_before = true;
      std::fputs("\n(Ctrl-C again or Ctrl-D to leave)\n", stderr);
      continue;
    }
    interrupted_before = false;
    bool quit = false;
    if (!input.from_block) {
      if (auto reply = session.handle_command(input.text, quit)) {
        if (quit) return 0;
        print_out(*reply + "\n");
        continue;
      }
    }
    if (input.text.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    auto turn = session.ask(input.text, print_out,
                            [&](GenerationStream* stream) { interrupts.set_stream(stream); });
    print_out("\n");
    // A Ctrl-C that stopped this answer must not count towards leaving.
    interrupts.take_interrupt();
    if (turn.dropped_messages > 0 && !told_about_dropping) {
      std::fputs(
          "weft: the conversation outgrew the context: its oldest turns are left out from now "
          "on (the system prompt stays)\n",
          stderr);
      told_about_dropping = true;
    }
    report_turn(turn, options.stats, style);
  }
}

Command add_chat_command(CLI::App& app) {
  auto options = std::make_shared<ChatOptions>();
  auto* sub = app.add_subcommand(
      "chat", "Chat with a model in the terminal (multi-turn; /help for commands)");
  sub->add_option("-b,--backend", options->backend,
                  "Backend to use (see `weft backends`); default: auto-selection");
  sub->add_option("-m,--model", options->model,
                  "GGUF file, store name or a name to pull such as hf.co/ORG/REPO:QUANT (native; "
                  "docs/models.md) or model name (remote backends); default: auto-selection (a "
                  "reachable Ollama, else the bundled model)");
  sub->add_option("model", options->positional_model, "The model, as with --model");
  sub->add_option("-s,--system", options->system_prompt, "System prompt to start with");
  sub->add_flag("--stats", options->stats,
                "After each answer, print token counts and the stop reason to stderr");
  sub->add_flag("-v,--verbose", options->verbose,
                "Show the model load's steps on stderr even when it is not a terminal");
  sub->add_option("-c,--ctx", options->load.context_length, "Context length override");
  sub->add_option("--chat-template", options->load.chat_template_path,
                  "Jinja chat template file replacing the model's own (native backend)")
      ->check(CLI::ExistingFile);
  sub->add_option("-t,--threads", options->load.threads, "Threads (0 = physical cores)");
  add_gpu_layers_option(*sub, options->gpu_layers);
  add_kv_type_option(*sub, options->kv_type);
  add_generation_options(*sub, options->generation);
  add_constraint_options(*sub, options->constraints);
  sub->callback([options] {
    if (!options->model.empty() && !options->positional_model.empty())
      throw CLI::ValidationError("give the model once: as MODEL or with --model");
  });
  return {sub, [options] {
            apply_constraint_options(options->constraints, options->generation);
            return run_chat(*options);
          }};
}

}  // namespace weft::cli
