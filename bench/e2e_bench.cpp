// End-to-end throughput through runtime::Engine, measured like llama-bench: prompt
// processing (pp: one batch of N tokens on an empty cache) and token generation (tg: N
// single-token passes from an empty cache), in tokens per second, several repetitions.
//
//   e2e_bench MODEL.gguf [-p 512] [-n 128] [-r 3] [-t 2] [-k fast|reference|rounded-activations]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "runtime/engine.hpp"

namespace {

using weft::runtime::Engine;
using weft::runtime::ForwardOutputs;
using weft::runtime::ForwardRow;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<int32_t> random_tokens(int64_t count, int64_t n_vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(n_vocab - 1));
  std::vector<int32_t> tokens(static_cast<size_t>(count));
  for (auto& t : tokens) t = pick(rng);
  return tokens;
}

double prompt_tokens_per_second(Engine& engine, const std::vector<int32_t>& tokens) {
  auto sequence = engine.new_sequence();
  std::vector<ForwardRow> rows;
  for (size_t i = 0; i < tokens.size(); ++i)
    rows.push_back({&sequence, tokens[i], static_cast<int64_t>(i), i + 1 == tokens.size()});
  ForwardOutputs outputs;
  const auto start = std::chrono::steady_clock::now();
  engine.forward(rows, outputs);
  return static_cast<double>(tokens.size()) / seconds_since(start);
}

double generation_tokens_per_second(Engine& engine, const std::vector<int32_t>& tokens) {
  auto sequence = engine.new_sequence();
  ForwardOutputs outputs;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < tokens.size(); ++i) {
    const ForwardRow row{&sequence, tokens[i], static_cast<int64_t>(i), true};
    engine.forward({&row, 1}, outputs);
  }
  return static_cast<double>(tokens.size()) / seconds_since(start);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.gguf [-p N] [-n N] [-r N] [-t N] [-k KERNELS]\n",
                 argv[0]);
    return 2;
  }
  int64_t prompt = 512;
  int64_t generate = 128;
  int repetitions = 3;
  unsigned threads = 2;
  std::string kernels = "fast";
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "-p") prompt = std::atoll(value);
    if (flag == "-n") generate = std::atoll(value);
    if (flag == "-r") repetitions = std::max(1, std::atoi(value));
    if (flag == "-t") threads = static_cast<unsigned>(std::atoi(value));
    if (flag == "-k") kernels = value;
  }
  const auto choice = weft::tensor::parse_kernel_choice(kernels);
  if (!choice) {
    std::fprintf(stderr, "unknown kernels '%s'\n", kernels.c_str());
    return 2;
  }
  auto model =
      weft::model::Model::load(argv[1], {.context_length = std::max(prompt, generate) + 16});
  Engine engine(model, {.threads = threads, .kernels = *choice});
  const int64_t n_vocab = engine.config().n_vocab;
  std::vector<double> pp;
  std::vector<double> tg;
  for (int r = 0; r < repetitions; ++r) {
    if (prompt > 0)
      pp.push_back(prompt_tokens_per_second(engine, random_tokens(prompt, n_vocab, 1 + r)));
    if (generate > 0)
      tg.push_back(generation_tokens_per_second(engine, random_tokens(generate, n_vocab, 7 + r)));
  }
  if (!pp.empty())
    std::printf("pp%lld %s: %.2f t/s (median of %d)\n", static_cast<long long>(prompt),
                kernels.c_str(), median(pp), repetitions);
  if (!tg.empty())
    std::printf("tg%lld %s: %.2f t/s (median of %d)\n", static_cast<long long>(generate),
                kernels.c_str(), median(tg), repetitions);
  return 0;
}
