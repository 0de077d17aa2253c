// `weft list`, `weft show NAME`, `weft rm NAME`: the model store (docs/models.md).
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "gguf/gguf_file.hpp"
#include "store/model_facts.hpp"
#include "store/model_resolver.hpp"
#include "store/model_store.hpp"
#include "store/progress_meter.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

std::string local_time(std::time_t seconds) {
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &local);
  return text;
}

int list_models() {
  const store::ModelStore model_store(store::ModelStore::default_root());
  const auto entries = model_store.list();
  std::printf("%-48s %10s  %-14s %s\n", "NAME", "SIZE", "QUANTISATION", "MODIFIED");
  for (const auto& entry : entries) {
    std::string quantisation = "?";
    try {
      quantisation = store::model_facts(*gguf::GgufFile::open(entry.path)).quantization;
    } catch (const Error&) {
      quantisation = "(not GGUF)";  // listed anyway; using it would fail with the reason
    }
    std::printf("%-48s %10s  %-14s %s\n", entry.name.c_str(),
                store::human_bytes(entry.size).c_str(), quantisation.c_str(),
                local_time(entry.modified).c_str());
  }
  if (entries.empty()) {
    std::fprintf(stderr, "weft: no models in %s (weft pull NAME adds one)\n",
                 model_store.root().c_str());
  }
  return 0;
}

int show_model(const std::string& name) {
  store::ResolveOptions local_only;
  local_only.pull = false;
  const std::string path = store::resolve_model_path(name, local_only);
  const auto facts = store::model_facts(*gguf::GgufFile::open(path));
  const auto line = [](const char* key, const std::string& value) {
    std::printf("  %-16s %s\n", key, value.empty() ? "-" : value.c_str());
  };
  std::printf("%s\n", name.c_str());
  line("file", path);
  line("name", facts.name);
  line("architecture", facts.architecture);
  line("parameters", store::parameter_text(facts.parameters));
  line("context length", facts.context_length ? std::to_string(facts.context_length) : "");
  line("quantisation", facts.quantization);
  line("chat template", facts.has_chat_template ? "yes: " + facts.chat_template_first_line
                                                : "no (ChatML or plain completion)");
  line("license", facts.license);
  return 0;
}

int remove_model(const std::string& name) {
  const store::ModelStore model_store(store::ModelStore::default_root());
  const bool blob_removed = model_store.remove(name);
  std::printf("deleted '%s'%s\n", name.c_str(),
              blob_removed ? "" : " (its file stays: another name uses it)");
  return 0;
}

}  // namespace

Command add_list_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "list", "List the models of the store: name, size, quantisation, modified");
  sub->footer(
      "Pulled names and the plain *.gguf files of the store's directory ($WEFT_MODELS, else "
      "$XDG_DATA_HOME/weft/models; docs/models.md).");
  sub->alias("ls");
  return {sub, [] { return list_models(); }};
}

Command add_show_command(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  auto* sub = app.add_subcommand(
      "show",
      "Describe a model of the store or a GGUF file: architecture, parameters, context, "
      "quantisation, chat template, license");
  sub->add_option("model", *name, "A store name or a GGUF file")->required();
  return {sub, [name] { return show_model(*name); }};
}

Command add_rm_command(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  auto* sub = app.add_subcommand(
      "rm", "Remove a pulled model's name from the store, and its file when no other name uses it");
  sub->add_option("model", *name, "The store name (see weft list)")->required();
  return {sub, [name] { return remove_model(*name); }};
}

}  // namespace weft::cli
