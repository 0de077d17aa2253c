// `weft embed MODEL TEXT...`: the embedding of each text (or of each line of stdin), one
// vector per line as space-separated numbers, from the native backend — the same vectors
// /v1/embeddings and /api/embed return (docs/embeddings.md). Decoders pool their final hidden
// states; the encoders (bert, nomic-bert) are what embedding models are.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "backend/native_backend.hpp"
#include "cli/commands.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

struct EmbedOptions {
  std::string model;
  std::vector<std::string> texts;
  bool raw = false;  // no L2 normalisation
  unsigned threads = 0;
};

int embed_texts(const EmbedOptions& options) {
  EmbeddingRequest request;
  request.inputs = options.texts;
  if (request.inputs.empty()) {
    for (std::string line; std::getline(std::cin, line);) {
      if (!line.empty()) request.inputs.push_back(line);
    }
  }
  if (request.inputs.empty()) {
    throw Error(ErrorCode::invalid_request,
                "no text to embed: give TEXT arguments or lines on stdin");
  }
  request.normalize = !options.raw;
  backend::NativeBackend native;
  LoadOptions load;
  load.model_path = options.model;
  load.threads = options.threads;
  native.load(load);
  const auto result = native.embed(request);
  for (const auto& vector : result.vectors) {
    for (size_t i = 0; i < vector.size(); ++i) {
      std::printf("%s%.9g", i == 0 ? "" : " ", static_cast<double>(vector[i]));
    }
    std::printf("\n");
  }
  std::fprintf(stderr, "%zu vectors of %zu values, %u tokens\n", result.vectors.size(),
               result.vectors.empty() ? size_t{0} : result.vectors[0].size(), result.prompt_tokens);
  return 0;
}

}  // namespace

Command add_embed_command(CLI::App& app) {
  auto options = std::make_shared<EmbedOptions>();
  auto* sub = app.add_subcommand(
      "embed", "Print the embedding of each TEXT (or stdin line), one vector per line");
  sub->add_option("model", options->model, "GGUF model file")->required();
  sub->add_option("text", options->texts, "Texts to embed (default: the lines of stdin)");
  sub->add_flag("--raw", options->raw, "Do not L2-normalise the vectors");
  sub->add_option("-t,--threads", options->threads, "Threads (0 = hardware concurrency)");
  return {sub, [options] { return embed_texts(*options); }};
}

}  // namespace weft::cli
