// Each subcommand adds itself to the `weft` app and returns what to run when chosen.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
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
Command add_serve_command(CLI::App& app);
Command add_status_command(CLI::App& app);
Command add_inspect_command(CLI::App& app);
Command add_mkmodel_command(CLI::App& app);
Command add_tokenize_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_template_command(CLI::App& app);
Command add_chat_command(CLI::App& app);
Command add_grammar_command(CLI::App& app);
Command add_program_command(CLI::App& app);
Command add_engine_command(CLI::App& app);
Command add_perplexity_command(CLI::App& app);
Command add_quantize_command(CLI::App& app);
Command add_pull_command(CLI::App& app);
Command add_list_command(CLI::App& app);
Command add_show_command(CLI::App& app);
Command add_rm_command(CLI::App& app);
Command add_ps_command(CLI::App& app);
Command add_embed_command(CLI::App& app);

// The bundled default model (stories260K), from the source tree or the install prefix.
std::string default_model_path();
// Its context length: the file stores 128, the model was trained with 512.
inline constexpr uint32_t kDefaultModelContext = 512;

// The inferlet SDK's directory (runner.mjs, loader.mjs): WEFT_SDK_DIR, else the source tree's
// sdk/js, else the installed copy. Throws weft::Error when none is there.
std::string inferlet_sdk_dir();

}  // namespace weft::cli
