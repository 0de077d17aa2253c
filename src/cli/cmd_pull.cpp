#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "store/model_name.hpp"
#include "store/model_store.hpp"
#include "store/progress_meter.hpp"
#include "store/pull.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

struct PullOptions {
  std::string name;
  std::string registry;
};

int pull(const PullOptions& options) {
  const auto name = store::parse_model_name(options.name);
  if (!name) {
    throw Error(ErrorCode::invalid_request,
                "'" + options.name +
                    "' is not a name weft can pull: hf.co/ORG/REPO[:QUANT], ORG/REPO/FILE.gguf "
                    "or an Ollama name NAME[:TAG] (see weft pull --help)");
  }
  const store::ModelStore model_store(store::ModelStore::default_root());
  // Progress on stderr: stdout is kept for the result, one line.
  const auto result = store::pull_model(model_store, *name, stderr, options.registry);
  std::printf("%s\t%s\t%s\n", result.entry.name.c_str(), result.entry.path.c_str(),
              store::human_bytes(result.entry.size).c_str());
  return 0;
}

}  // namespace

Command add_pull_command(CLI::App& app) {
  auto options = std::make_shared<PullOptions>();
  auto* sub = app.add_subcommand("pull",
                                 "Download a model into the store (hf.co/ORG/REPO[:QUANT], "
                                 "ORG/REPO/FILE.gguf, or an Ollama NAME[:TAG])");
  sub->footer(
      "Hugging Face: hf.co/ORG/REPO[:QUANT] picks the GGUF file whose name contains QUANT "
      "(default Q4_K_M), ORG/REPO/FILE.gguf names one; HF_TOKEN for gated repositories, "
      "HF_ENDPOINT for a mirror. Ollama registry: NAME[:TAG], NS/NAME:TAG, HOST/NS/NAME:TAG. "
      "The sha256 is verified, an interrupted download resumes, NAME, FILE and SIZE are "
      "printed on stdout and progress on stderr. The store is $WEFT_MODELS, else "
      "$XDG_DATA_HOME/weft/models (docs/models.md).");
  sub->add_option("name", options->name, "The model to pull")->required();
  sub->add_option("--registry", options->registry,
                  "Base URL of the Ollama registry (default: WEFT_OLLAMA_REGISTRY, else "
                  "https://registry.ollama.ai, or https://HOST for a name with a host)");
  return {sub, [options] { return pull(*options); }};
}

}  // namespace weft::cli
