// Matrix products of the kernel sets per element type, at a smollm2-135m-like shape
// (576 → 1536), for one activation row (decode) and 32 rows (prefill), on 2 threads.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "tensor/kernels.hpp"
#include "tensor/quant_formats.hpp"

namespace {

using weft::tensor::ElementType;

void matmul(benchmark::State& state, ElementType type, weft::tensor::KernelChoice choice) {
  const int64_t cols = 576 / 256 * 256 + 256;  // 768: whole K-quant super-blocks
  const int64_t rows = 1536;
  const int64_t n_rows = state.range(0);
  const uint64_t row_bytes = *weft::tensor::bytes_for(type, cols);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> source(static_cast<size_t>(cols));
  std::vector<std::byte> stored(row_bytes * rows);
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : source) v = normal(rng);
    weft::tensor::quantize_row(type, source.data(), stored.data() + r * row_bytes, cols);
  }
  const weft::tensor::WeightMatrix w{type, rows, cols, row_bytes, stored.data()};
  std::vector<float> x(static_cast<size_t>(n_rows * cols));
  for (auto& v : x) v = normal(rng);
  std::vector<float> out(static_cast<size_t>(n_rows * rows));
  weft::tensor::ThreadPool pool(2);
  const auto& kernels = weft::tensor::kernels_for(choice);
  for (auto _ : state) {
    kernels.matmul(w, x.data(), n_rows, out.data(), pool);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(row_bytes * rows));
  state.counters["weight_MB"] = static_cast<double>(row_bytes * rows) / 1e6;
}

void register_all() {
  for (auto type :
       {ElementType::F32, ElementType::F16, ElementType::BF16, ElementType::Q8_0, ElementType::Q4_0,
        ElementType::Q4_1, ElementType::Q5_0, ElementType::Q5_1, ElementType::Q2_K,
        ElementType::Q3_K, ElementType::Q4_K, ElementType::Q5_K, ElementType::Q6_K}) {
    for (auto choice :
         {weft::tensor::KernelChoice::reference, weft::tensor::KernelChoice::rounded_activations,
          weft::tensor::KernelChoice::fast}) {
      const std::string name = "matmul/" + std::string(weft::tensor::traits_of(type).name) + "/" +
                               std::string(weft::tensor::to_string(choice));
      benchmark::RegisterBenchmark(name.c_str(), matmul, type, choice)
          ->Arg(1)
          ->Arg(32)
          ->UseRealTime();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
