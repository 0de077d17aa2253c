// Matrix products of every weight type on one thread, `reference` against `fast` (and
// `rounded-activations`, and `packed`: `fast` over the copy packed at load, for the types this
// CPU packs), for one activation row (decode) and 32 rows (prefill); `packed` also for 8 and 16
// rows (decoding streams, the twin tiles on VNNI CPUs). The calling
// thread runs the whole product, so the CPU time reported is the kernels' own cost: the
// ratio that survives a machine loaded by other work (kernels_bench measures 2 threads, wall
// time).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "tensor/kernels.hpp"
#include "tensor/quant_formats.hpp"
#include "tensor/x86/packed_weights.hpp"

namespace {

using weft::tensor::ElementType;
using weft::tensor::KernelChoice;

void matmul_one_thread(benchmark::State& state, ElementType type, KernelChoice choice,
                       bool packed) {
  const int64_t cols = 768;  // whole K-quant super-blocks
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
  weft::tensor::WeightMatrix w{type, rows, cols, row_bytes, stored.data()};
  weft::tensor::PackedWeights packed_copy;
  if (packed) {
    packed_copy = weft::tensor::pack_rows(w);
    w.packed = packed_copy.data();
  }
  std::vector<float> x(static_cast<size_t>(n_rows * cols));
  for (auto& v : x) v = normal(rng);
  std::vector<float> out(static_cast<size_t>(n_rows * rows));
  weft::tensor::ThreadPool pool(1);
  const auto& kernels = weft::tensor::kernels_for(choice);
  for (auto _ : state) {
    kernels.matmul(w, x.data(), n_rows, out.data(), pool);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(row_bytes * rows));
}

void register_all() {
  for (auto type :
       {ElementType::F32, ElementType::F16, ElementType::BF16, ElementType::Q8_0, ElementType::Q4_0,
        ElementType::Q4_1, ElementType::Q5_0, ElementType::Q5_1, ElementType::Q2_K,
        ElementType::Q3_K, ElementType::Q4_K, ElementType::Q5_K, ElementType::Q6_K}) {
    for (auto choice :
         {KernelChoice::reference, KernelChoice::rounded_activations, KernelChoice::fast}) {
      const std::string name = "matmul_1t/" + std::string(weft::tensor::traits_of(type).name) +
                               "/" + std::string(weft::tensor::to_string(choice));
      benchmark::RegisterBenchmark(name.c_str(), matmul_one_thread, type, choice, false)
          ->Arg(1)
          ->Arg(32);
    }
    if (weft::tensor::packed_products_available(type)) {
      const std::string name =
          "matmul_1t/" + std::string(weft::tensor::traits_of(type).name) + "/packed";
      benchmark::RegisterBenchmark(name.c_str(), matmul_one_thread, type, KernelChoice::fast, true)
          ->Arg(1)
          ->Arg(8)
          ->Arg(16)
          ->Arg(32);
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
