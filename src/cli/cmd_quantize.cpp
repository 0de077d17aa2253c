// `weft quantize`: a GGUF model in another llama.cpp file type (Q4_K_M, Q8_0, F16, ...), with
// llama-quantize's per-tensor types and byte-identical quantised blocks.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "gguf/gguf_file.hpp"
#include "model/quantize/model_quantizer.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

struct QuantizeCommandOptions {
  std::string input;
  std::string output;
  std::string type;
  unsigned threads = 0;
  bool pure = false;
  bool allow_requantize = false;
};

std::string shape_by_x(const std::vector<uint64_t>& shape) {
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? " x " : "") + std::to_string(shape[i]);
  return text;
}

double mib(uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

void print_progress(const model::quantize::TensorProgress& progress) {
  const auto& tensor = *progress.tensor;
  const std::string from(tensor::traits_of(tensor.from).name);
  const std::string to(tensor::traits_of(tensor.to).name);
  std::fprintf(stderr, "[%4zu/%4zu] %-36s [%s] %s -> %s, %.3f MiB -> %.3f MiB (%.2f s)\n",
               progress.index, progress.count, tensor.name.c_str(),
               shape_by_x(progress.shape).c_str(), from.c_str(), to.c_str(),
               mib(progress.bytes_before), mib(progress.bytes_after), progress.seconds);
}

std::string type_list() {
  std::string list;
  for (auto name : model::quantize::file_type_names())
    list += (list.empty() ? "" : " ") + std::string(name);
  return list;
}

int run_quantize(const QuantizeCommandOptions& options) {
  const auto file_type = model::quantize::parse_file_type(options.type);
  if (!file_type) throw Error("unknown type '" + options.type + "' (one of: " + type_list() + ")");
  const auto input = gguf::GgufFile::open(options.input);
  const auto started = std::chrono::steady_clock::now();
  const auto summary = model::quantize::quantize_model(
      *input, options.output,
      {*file_type, options.pure, options.allow_requantize, options.threads, print_progress});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr,
               "quantize: %s -> %s (%s, general.file_type %u): %zu tensors, %.2f MiB -> %.2f MiB "
               "in %.2f s\n",
               options.input.c_str(), options.output.c_str(), std::string(file_type->name).c_str(),
               file_type->id, summary.tensors, mib(summary.bytes_before), mib(summary.bytes_after),
               seconds);
  return 0;
}

}  // namespace

Command add_quantize_command(CLI::App& app) {
  auto options = std::make_shared<QuantizeCommandOptions>();
  auto* sub = app.add_subcommand(
      "quantize",
      "Write a GGUF model in another llama.cpp file type, with llama-quantize's per-tensor "
      "types (Q4_K_M, Q5_K_M, Q6_K, Q8_0, ...; no importance matrix)");
  sub->add_option("input", options->input, "GGUF model file to read")->required();
  sub->add_option("output", options->output, "GGUF file to write")->required();
  sub->add_option("type", options->type,
                  "File type: " + type_list() + " (Q3_K, Q4_K, Q5_K mean the _M mixtures)")
      ->required();
  sub->add_option("-t,--threads", options->threads, "Threads (0 = hardware concurrency)");
  sub->add_flag("--pure", options->pure,
                "Every matrix in the type's base type: no mixture, no Q6_K output matrix (as "
                "llama-quantize --pure)");
  sub->add_flag("--allow-requantize", options->allow_requantize,
                "Accept tensors that are already quantised (as llama-quantize --allow-requantize)");
  return {sub, [options] { return run_quantize(*options); }};
}

}  // namespace weft::cli
