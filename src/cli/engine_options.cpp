#include "cli/engine_options.hpp"

#include "cli/number_checks.hpp"

namespace weft::cli {

void add_engine_options(CLI::App& app, engine::StdioEngineOptions& options) {
  app.add_option("-m,--model", options.model,
                 "GGUF file, store name or name to pull (docs/models.md) loaded before the first "
                 "command; default: WEFT_MODEL, else INFERNET_ENGINE_MODEL, else wait for load")
      ->envname("WEFT_MODEL");
  app.add_option("--models-dir", options.server.models_dir,
                 "The model store where names are looked up and pulled to (default: "
                 "WEFT_MODELS, else WEFT_MODELS_DIR, else $XDG_DATA_HOME/weft/models)");
  app.add_option("-c,--ctx", options.server.load.context_length, "Context length override")
      ->envname("WEFT_CTX")
      ->check(whole_number_at_least(1));
  app.add_option("-t,--threads", options.server.load.threads, "Threads (0 = physical cores)")
      ->envname("WEFT_THREADS")
      ->check(whole_number_at_least(0));
  app.add_option("--chat-template", options.server.load.chat_template_path,
                 "Jinja chat template file replacing the model's own")
      ->envname("WEFT_CHAT_TEMPLATE")
      ->check(CLI::ExistingFile);
  app.add_option("-b,--backend", options.backend, "Backend that generates (see `weft backends`)")
      ->capture_default_str();
}

int run_engine_on_stdio(engine::StdioEngineOptions options) {
  if (options.model.empty()) options.model = engine::model_from_environment();
  if (options.server.models_dir.empty()) options.server.models_dir = engine::default_models_dir();
  return engine::run_stdio_engine_on_process_stdio(options);
}

}  // namespace weft::cli
