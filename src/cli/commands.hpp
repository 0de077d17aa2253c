// Each subcommand adds itself to the `weft` app and returns what to run when chosen.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace weft::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_run_command(CLI::App& app);
Command add_backends_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_inspect_command(CLI::App& app);
Command add_mkmodel_command(CLI::App& app);
Command add_tokenize_command(CLI::App& app);
Command add_template_command(CLI::App& app);
Command add_chat_command(CLI::App& app);

// The bundled default model (stories260K), from the source tree or the install prefix.
std::string default_model_path();

}  // namespace weft::cli
