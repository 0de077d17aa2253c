#include <algorithm>
#include <cstdio>
#include <exception>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.hpp"
#include "cli/gpu_layers_option.hpp"
#include "cli/version_line.hpp"
#include "weft/error.hpp"

namespace {

// Exit status of a command line that does not parse (as in most Unix tools); errors while
// running a command exit 1.
constexpr int kUsageError = 2;

// "weft" or "weft run": the command path of the deepest subcommand seen before the error.
std::string command_path(const CLI::App& app) {
  std::string path = "weft";
  const CLI::App* current = &app;
  while (true) {
    auto parsed = current->get_subcommands();
    if (parsed.empty()) return path;
    current = parsed.front();
    path += " " + current->get_name();
  }
}

// CLI11 reports a value it cannot convert to the option's type as "Could not convert: NAME =
// VALUE"; say it the way the other messages do.
std::string readable(const CLI::ParseError& error) {
  static const std::regex kConversion(R"(Could not convert: (\S+) = (.*))");
  std::smatch match;
  const std::string message = error.what();
  if (std::regex_match(message, match, kConversion))
    return match[1].str() + ": '" + match[2].str() + "' is not a valid value";
  return message;
}

// One line: CLI11's message with any line breaks folded, and where to look for help.
void print_usage_error(const std::string& message, const std::string& command) {
  std::string line = message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  std::fprintf(stderr, "weft: error: %s (see %s --help)\n", line.c_str(), command.c_str());
}

// `weft help`, `weft help run`, `weft help template render`: the same text as --help.
int print_help(CLI::App& app, const std::vector<std::string>& topic) {
  CLI::App* current = &app;
  std::string path = "weft";
  for (const auto& name : topic) {
    try {
      current = current->get_subcommand(name);
    } catch (const CLI::OptionNotFound&) {
      print_usage_error("'" + path + "' has no subcommand '" + name + "'", path);
      return kUsageError;
    }
    path += " " + name;
  }
  // The formatter directly: App::help would describe the `help` subcommand itself.
  std::fputs(current->get_formatter()->make_help(current, path, CLI::AppFormatMode::Normal).c_str(),
             stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"weft: run GGUF language models locally, serve them, and program generation"};
  app.name("weft");  // in usage lines, whatever path it was started by
  app.set_version_flag("--version", [] { return weft::cli::version_line(); });
  app.require_subcommand(0, 1);
  auto* help = app.add_subcommand("help", "Show help for weft or for one subcommand");
  std::vector<std::string> help_topic;
  help->add_option("command", help_topic, "Subcommand to describe (e.g. `run`, `template render`)");

  std::vector<weft::cli::Command> commands = {
      weft::cli::add_run_command(app),        weft::cli::add_backends_command(app),
      weft::cli::add_eval_command(app),       weft::cli::add_serve_command(app),
      weft::cli::add_status_command(app),     weft::cli::add_inspect_command(app),
      weft::cli::add_mkmodel_command(app),    weft::cli::add_tokenize_command(app),
      weft::cli::add_bench_command(app),      weft::cli::add_template_command(app),
      weft::cli::add_chat_command(app),       weft::cli::add_grammar_command(app),
      weft::cli::add_program_command(app),    weft::cli::add_engine_command(app),
      weft::cli::add_perplexity_command(app), weft::cli::add_quantize_command(app),
      weft::cli::add_pull_command(app),       weft::cli::add_list_command(app),
      weft::cli::add_show_command(app),       weft::cli::add_rm_command(app),
      weft::cli::add_ps_command(app),         weft::cli::add_embed_command(app),
  };

  std::vector<std::string> arguments(argv + 1, argv + argc);
  arguments = weft::cli::with_gpu_layers_spelled_long(std::move(arguments));
  std::reverse(arguments.begin(), arguments.end());  // CLI11 takes them last first
  try {
    app.parse(arguments);
  } catch (const CLI::Success& help_or_version) {
    return app.exit(help_or_version);  // prints the help or the version to stdout
  } catch (const CLI::ParseError& error) {
    const bool unknown_command = app.get_subcommands().empty() && argc > 1 && argv[1][0] != '-';
    if (unknown_command) {
      print_usage_error(std::string("unknown command '") + argv[1] + "'", "weft");
    } else {
      print_usage_error(readable(error), command_path(app));
    }
    return kUsageError;
  }
  if (*help || app.get_subcommands().empty()) return print_help(app, help_topic);
  try {
    for (auto& command : commands) {
      if (command.app->parsed()) return command.run();
    }
  } catch (const weft::Error& error) {
    std::fprintf(stderr, "weft: error: %s\n", error.what());
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "weft: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
