// Matrix products of the kernel sets per element type, at a smollm2-135m-like shape
// (768 → 1536), for one activation row (decode) and 32 and 128 rows (prefill), on 2
// threads; the fast products both ways (VNNI tiles where the CPU has them, AVX2 groups);
// and the activation rounding (scalar against AVX2).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "tensor/cpu_features.hpp"
#include "tensor/formats/quant_reference.hpp"
#include "tensor/kernels.hpp"
#include "tensor/quant_formats.hpp"
#include "tensor/x86/activation_quant_avx2.hpp"
#include "tensor/x86/fast_matmul_avx2.hpp"

namespace {

using weft::tensor::ElementType;

// choice == fast with `groups` set runs the AVX2 group kernels instead of the tiles.
void matmul(benchmark::State& state, ElementType type, weft::tensor::KernelChoice choice,
            bool groups) {
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
    if (groups) {
      weft::tensor::avx2_matmul(w, x.data(), n_rows, out.data(), pool,
                                weft::tensor::MatmulPath::avx2_groups);
    } else {
      kernels.matmul(w, x.data(), n_rows, out.data(), pool);
    }
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
      benchmark::RegisterBenchmark(name.c_str(), matmul, type, choice, false)
          ->Arg(1)
          ->Arg(32)
          ->Arg(128)
          ->UseRealTime();
    }
    if (weft::tensor::cpu_has_avx2_fma_f16c() && weft::tensor::avx2_matmul_supports(type)) {
      const std::string name =
          "matmul/" + std::string(weft::tensor::traits_of(type).name) + "/fast-avx2-groups";
      benchmark::RegisterBenchmark(name.c_str(), matmul, type, weft::tensor::KernelChoice::fast,
                                   true)
          ->Arg(1)
          ->Arg(32)
          ->Arg(128)
          ->UseRealTime();
    }
  }
}

// Rounding one 2048-value activation row: the scalar definitions against AVX2.
void round_q8(benchmark::State& state, bool vector) {
  const int64_t n = 2048;
  std::vector<float> x(static_cast<size_t>(n));
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (auto& v : x) v = normal(rng);
  std::vector<weft::tensor::ActivationQ8> blocks(static_cast<size_t>(n / 32));
  for (auto _ : state) {
    if (vector) {
      weft::tensor::avx2_quantize_activation_q8(x.data(), blocks.data(), n);
    } else {
      weft::tensor::quantize_activation_q8(x.data(), blocks.data(), n);
    }
    benchmark::DoNotOptimize(blocks.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}

void round_q8_k(benchmark::State& state, bool vector) {
  const int64_t n = 2048;
  std::vector<float> x(static_cast<size_t>(n));
  std::mt19937 rng(4);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (auto& v : x) v = normal(rng);
  std::vector<weft::tensor::BlockQ8_K> blocks(static_cast<size_t>(n / 256));
  for (auto _ : state) {
    if (vector) {
      weft::tensor::avx2_quantize_q8_k(x.data(), blocks.data(), n);
    } else {
      weft::tensor::ref::quantize(x.data(), blocks.data(), n / 256);
    }
    benchmark::DoNotOptimize(blocks.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}

void register_rounding() {
  benchmark::RegisterBenchmark("round/q8_0/scalar", round_q8, false);
  benchmark::RegisterBenchmark("round/q8_k/scalar", round_q8_k, false);
  if (!weft::tensor::cpu_has_avx2_fma_f16c()) return;
  benchmark::RegisterBenchmark("round/q8_0/avx2", round_q8, true);
  benchmark::RegisterBenchmark("round/q8_k/avx2", round_q8_k, true);
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  register_rounding();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
