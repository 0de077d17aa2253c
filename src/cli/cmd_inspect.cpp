#include <algorithm>
#include <cstdio>
#include <limits>

#include "chat/model_chat_format.hpp"
#include "cli/commands.hpp"
#include "cli/inspect_json.hpp"
#include "gguf/gguf_file.hpp"
#include "gguf/value_format.hpp"
#include "model/arch/architecture.hpp"
#include "runtime/conversation_format.hpp"
#include "store/model_resolver.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

struct InspectOptions {
  std::string path;
  bool full = false;
  bool json = false;
};

std::string bracketed_shape(const std::vector<uint64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

void print_metadata(const gguf::GgufFile& file, const gguf::FormatLimits& limits) {
  size_t key_width = 0;
  for (const auto& entry : file.metadata()) key_width = std::max(key_width, entry.key.size());
  std::printf("metadata: %zu keys\n", file.metadata().size());
  for (const auto& entry : file.metadata()) {
    std::printf("  %-*s  %-7s  %s\n", static_cast<int>(key_width), entry.key.c_str(),
                std::string(gguf::to_string(entry.value.type)).c_str(),
                gguf::format_value(entry.value, limits).c_str());
  }
}

void print_tensors(const gguf::GgufFile& file) {
  size_t name_width = 4;
  for (const auto& tensor : file.tensors()) name_width = std::max(name_width, tensor.name.size());
  std::printf("tensors: %zu (offsets are byte offsets in the file)\n", file.tensors().size());
  std::printf("  %5s  %-*s  %-5s  %-22s  %12s  %12s\n", "#", static_cast<int>(name_width), "name",
              "type", "shape", "offset", "bytes");
  size_t index = 0;
  for (const auto& tensor : file.tensors()) {
    std::printf("  %5zu  %-*s  %-5s  %-22s  %12llu  %12llu\n", index++,
                static_cast<int>(name_width), tensor.name.c_str(),
                std::string(tensor::traits_of(tensor.type).name).c_str(),
                bracketed_shape(tensor.shape).c_str(),
                static_cast<unsigned long long>(file.data_offset() + tensor.offset),
                static_cast<unsigned long long>(tensor.size_bytes));
  }
}

// How the native backend formats chat requests for this file, decided as it decides
// (runtime::chat_prompt_style): the model's template, the ChatML fallback, or plain completion.
std::string chat_template_origin(const gguf::GgufFile& file) {
  if (!file.has("tokenizer.ggml.model")) return "";
  try {
    const auto tokenizer = tokenizer::Tokenizer::from_gguf(file);
    switch (runtime::chat_prompt_style(chat::chat_format_from_gguf(file), *tokenizer)) {
      case runtime::ChatPromptStyle::model_template:
        return "tokenizer.chat_template";
      case runtime::ChatPromptStyle::chatml_fallback:
        return "fallback (ChatML; the file has none)";
      case runtime::ChatPromptStyle::plain_completion:
        return "none: plain completion (the file has no template and the vocabulary no ChatML "
               "tokens)";
    }
  } catch (const Error& error) {
    // The rest of the file is still worth showing.
    return std::string("unknown: the tokenizer does not load (") + error.what() + ")";
  }
  return "";
}

int inspect(const InspectOptions& options) {
  auto file = gguf::GgufFile::open(store::resolve_model_path(options.path));
  gguf::FormatLimits limits = options.full ? gguf::FormatLimits::none() : gguf::FormatLimits{};
  if (options.json) {
    auto json = inspect_json(*file, limits.array_elements);
    if (auto origin = chat_template_origin(*file); !origin.empty()) json["chat_template"] = origin;
    std::puts(json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
    return 0;
  }
  std::printf("%s: GGUF v%u, %llu bytes, alignment %llu, tensor data at byte %llu\n",
              file->path().c_str(), file->version(),
              static_cast<unsigned long long>(file->file_size()),
              static_cast<unsigned long long>(file->alignment()),
              static_cast<unsigned long long>(file->data_offset()));
  if (auto architecture = file->get_string("general.architecture")) {
    std::printf("architecture: %s\n", model::architecture_summary(*architecture).c_str());
  }
  if (auto origin = chat_template_origin(*file); !origin.empty()) {
    std::printf("chat template: %s\n", origin.c_str());
  }
  print_metadata(*file, limits);
  print_tensors(*file);
  return 0;
}

}  // namespace

Command add_inspect_command(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  auto* sub = app.add_subcommand("inspect", "Show a GGUF file's metadata and tensor table");
  sub->add_option("file", options->path, "GGUF file or store name (docs/models.md)")->required();
  sub->add_flag("--full", options->full, "Show every array element and whole strings");
  sub->add_flag("--json", options->json, "Print one JSON object instead of text");
  return {sub, [options] { return inspect(*options); }};
}

}  // namespace weft::cli
