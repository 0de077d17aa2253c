// `weft chat`: an interactive conversation in the terminal over any backend. Reads lines from
// stdin (so it can be driven by a pipe), writes answers to stdout as they stream.
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "chat/chat_session.hpp"
#include "cli/answer_report.hpp"
#include "cli/chat_command.hpp"
#include "cli/commands.hpp"
#include "cli/constraint_options.hpp"
#include "cli/generation_options.hpp"
#include "cli/gpu_layers_option.hpp"
#include "cli/interrupt_watcher.hpp"
#include "cli/local_backend.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

enum class InputStatus { line, end, interrupted };

// Reads lines from stdin while also watching for a Ctrl-C at the prompt.
class LineReader {
 public:
  explicit LineReader(int wake_fd) : wake_fd_(wake_fd) {}

  InputStatus read_line(std::string& line) {
    while (true) {
      size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return InputStatus::line;
      }
      if (at_end_) {
        if (buffer_.empty()) return InputStatus::end;
        line = std::move(buffer_);
        buffer_.clear();
        return InputStatus::line;
      }
      pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents & POLLIN) return InputStatus::interrupted;
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        char chunk[4096];
        ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
        if (n <= 0) {
          at_end_ = true;
        } else {
          buffer_.append(chunk, static_cast<size_t>(n));
        }
      }
    }
  }

 private:
  int wake_fd_;
  std::string buffer_;
  bool at_end_ = false;
};

void print_out(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void report_turn(const chat::TurnResult& turn, bool stats) {
  if (auto* error = std::get_if<ErrorEvent>(&turn.terminal)) {
    std::fprintf(stderr, "weft: error: %s\n", error->message.c_str());
    return;
  }
  const auto& done = std::get<DoneEvent>(turn.terminal);
  if (done.reason == StopReason::cancelled) std::fputs("(stopped)\n", stderr);
  if (stats) {
    std::fprintf(stderr, "[%s: %u prompt tokens, %u generated, stop: %s]\n", done.backend.c_str(),
                 done.usage.prompt_tokens, done.usage.completion_tokens,
                 std::string(to_string(done.reason)).c_str());
  }
}

}  // namespace

int run_chat(const ChatOptions& options) {
  // First, before the backend starts any thread: they must all inherit the blocked SIGINT.
  InterruptWatcher interrupts;
  report_gpu_layers_ignored(options.gpu_layers);
  auto registry = BackendRegistry::with_builtin_backends();
  const std::string& model =
      options.positional_model.empty() ? options.model : options.positional_model;
  auto choice = choose_local_backend(registry, options.backend, model);
  auto backend = registry.create(choice.selection.backend);
  backend->load(load_options_for(choice, options.load));

  chat::ChatSession session(*backend, options.generation, choice.model);
  if (!options.system_prompt.empty()) session.set_system_prompt(options.system_prompt);
  const bool interactive = isatty(STDIN_FILENO);
  if (interactive)
    std::fprintf(stderr, "weft chat with %s. /help lists the commands.\n",
                 describe_choice(choice).c_str());

  LineReader reader(interrupts.wake_fd());
  bool interrupted_before = false;
  bool told_about_dropping = false;
  std::string line;
  while (true) {
    if (interactive) print_out("> ");
    InputStatus status = reader.read_line(line);
    if (status == InputStatus::end) {
      if (interactive) print_out("\n");
      return 0;
    }
    if (status == InputStatus::interrupted) {
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
    if (auto reply = session.handle_command(line, quit)) {
      if (quit) return 0;
      print_out(*reply + "\n");
      continue;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto turn = session.ask(line, print_out,
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
    report_turn(turn, options.stats);
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
  sub->add_option("-c,--ctx", options->load.context_length, "Context length override");
  sub->add_option("--chat-template", options->load.chat_template_path,
                  "Jinja chat template file replacing the model's own (native backend)")
      ->check(CLI::ExistingFile);
  sub->add_option("-t,--threads", options->load.threads, "Threads (0 = physical cores)");
  add_gpu_layers_option(*sub, options->gpu_layers);
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
