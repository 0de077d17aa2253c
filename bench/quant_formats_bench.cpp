// Reference quantisation and dequantisation speed per element type (values per second).
// Run: ./build/bench/quant_formats_bench [--benchmark_filter=q4_K]
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "tensor/formats/element_type.hpp"
#include "tensor/quant_formats.hpp"

namespace {

using weft::tensor::ElementType;

constexpr int64_t kValues = 256 * 1024;

std::vector<float> gaussian_values() {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<float> values(kValues);
  for (float& v : values) v = normal(rng);
  return values;
}

void quantize(benchmark::State& state, ElementType type) {
  const auto values = gaussian_values();
  std::vector<unsigned char> packed(*weft::tensor::bytes_for(type, kValues));
  for (auto _ : state) {
    weft::tensor::quantize_row(type, values.data(), packed.data(), kValues);
    benchmark::DoNotOptimize(packed.data());
  }
  state.SetItemsProcessed(state.iterations() * kValues);
}

void dequantize(benchmark::State& state, ElementType type) {
  const auto values = gaussian_values();
  std::vector<unsigned char> packed(*weft::tensor::bytes_for(type, kValues));
  weft::tensor::quantize_row(type, values.data(), packed.data(), kValues);
  std::vector<float> out(kValues);
  for (auto _ : state) {
    weft::tensor::dequantize_row(type, packed.data(), out.data(), kValues);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kValues);
}

const bool registered = [] {
  for (ElementType type :
       {ElementType::F16, ElementType::BF16, ElementType::Q8_0, ElementType::Q4_0,
        ElementType::Q4_1, ElementType::Q5_0, ElementType::Q5_1, ElementType::Q2_K,
        ElementType::Q3_K, ElementType::Q4_K, ElementType::Q5_K, ElementType::Q6_K,
        ElementType::Q8_K}) {
    const std::string name(weft::tensor::traits_of(type).name);
    benchmark::RegisterBenchmark(("quantize/" + name).c_str(), quantize, type);
    benchmark::RegisterBenchmark(("dequantize/" + name).c_str(), dequantize, type);
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
