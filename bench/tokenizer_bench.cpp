// Encoding speed on ~1 MB of English: the stories260K reference texts (TinyStories prose)
// and the vocab test strings, repeated. Reports bytes/s per vocabulary.
//   ./build/bench/tokenizer_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gguf/gguf_file.hpp"
#include "tokenizer/tokenizer.hpp"

namespace {

namespace fs = std::filesystem;
using weft::tokenizer::Tokenizer;

constexpr size_t kTextBytes = 1 << 20;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string english_text() {
  fs::path shared(WEFT_SHARED_DIR);
  std::string seed;
  for (int n = 1; n <= 4; ++n) {
    seed += read_file(shared / "models/stories260K/reference-llama2c" /
                      ("ref" + std::to_string(n) + ".text.txt"));
  }
  seed += read_file(shared / "models/vocab/ggml-vocab-gpt-2.gguf.inp");
  std::string text;
  text.reserve(kTextBytes + seed.size());
  while (text.size() < kTextBytes) text += seed;
  text.resize(kTextBytes);
  while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
  return text;
}

void encode_vocab(benchmark::State& state, const std::string& vocab) {
  auto file = weft::gguf::GgufFile::open(
      (fs::path(WEFT_SHARED_DIR) / "models/vocab" / ("ggml-vocab-" + vocab + ".gguf")).string());
  auto tokenizer = Tokenizer::from_gguf(*file);
  const std::string text = english_text();
  size_t tokens = 0;
  for (auto _ : state) {
    auto ids = tokenizer->encode(text);
    tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["MB/s"] = benchmark::Counter(static_cast<double>(text.size()) / 1e6,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void decode_vocab(benchmark::State& state, const std::string& vocab) {
  auto file = weft::gguf::GgufFile::open(
      (fs::path(WEFT_SHARED_DIR) / "models/vocab" / ("ggml-vocab-" + vocab + ".gguf")).string());
  auto tokenizer = Tokenizer::from_gguf(*file);
  const std::string text = english_text();
  auto ids = tokenizer->encode(text);
  for (auto _ : state) {
    auto decoded = tokenizer->decode(ids);
    benchmark::DoNotOptimize(decoded.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

BENCHMARK_CAPTURE(encode_vocab, gpt_2, std::string("gpt-2"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(encode_vocab, llama_spm, std::string("llama-spm"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(encode_vocab, deepseek_llm, std::string("deepseek-llm"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(decode_vocab, gpt_2, std::string("gpt-2"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(decode_vocab, llama_spm, std::string("llama-spm"))->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
