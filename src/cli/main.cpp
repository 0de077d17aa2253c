#include <cstdio>
#include <exception>
#include <vector>

#include "cli/commands.hpp"
#include "weft/error.hpp"
#include "weft/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"weft: run GGUF language models locally, serve them, and program generation"};
  app.set_version_flag("--version", std::string("weft ") + weft::kVersion);
  app.require_subcommand(0, 1);
  auto* help = app.add_subcommand("help", "Show help for weft or for one subcommand");
  std::string help_topic;
  help->add_option("command", help_topic, "Subcommand to describe");

  std::vector<weft::cli::Command> commands = {
      weft::cli::add_run_command(app),     weft::cli::add_backends_command(app),
      weft::cli::add_eval_command(app),    weft::cli::add_serve_command(app),
      weft::cli::add_status_command(app),  weft::cli::add_inspect_command(app),
      weft::cli::add_mkmodel_command(app), weft::cli::add_tokenize_command(app),
      weft::cli::add_bench_command(app),   weft::cli::add_template_command(app),
      weft::cli::add_chat_command(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  if (*help || app.get_subcommands().empty()) {
    CLI::App* topic = &app;
    if (!help_topic.empty()) {
      try {
        topic = app.get_subcommand(help_topic);
      } catch (const CLI::OptionNotFound&) {
        std::fprintf(stderr, "weft: error: no subcommand '%s'\n", help_topic.c_str());
        return 2;
      }
    }
    std::fputs(topic->help().c_str(), stdout);
    return 0;
  }
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
