// Time to open and validate GGUF files: the largest vocabulary (many strings) and the
// largest fixture model (many tensors of data). Reported per open, with MB/s of file size.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "gguf/gguf_file.hpp"

namespace {

void open_file(benchmark::State& state, const std::string& relative) {
  const std::string path = std::string(WEFT_SHARED_DIR) + "/" + relative;
  const auto size = std::filesystem::file_size(path);
  for (auto _ : state) {
    auto file = weft::gguf::GgufFile::open(path);
    benchmark::DoNotOptimize(file);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

BENCHMARK_CAPTURE(open_file, vocab_gpt2, "models/vocab/ggml-vocab-gpt-2.gguf");
BENCHMARK_CAPTURE(open_file, vocab_phi3, "models/vocab/ggml-vocab-phi-3.gguf");
BENCHMARK_CAPTURE(open_file, model_phi3_f32, "fixtures/phi3/phi3-f32.gguf");

}  // namespace

BENCHMARK_MAIN();
