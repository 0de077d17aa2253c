// Streaming read bandwidth with weft's thread pool: the ceiling for decoding, which reads
// every weight once per token. `memory_bandwidth_bench [THREADS] [MiB]` reads a buffer of
// MiB (default 1024, far past the caches) five times, each thread one contiguous share (as
// the decode products split their rows), and prints the best pass in GB/s. Generation speed
// as a fraction of the limit is then file bytes × tok/s ÷ this figure.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "tensor/cpu_features.hpp"
#include "tensor/threads/thread_pool.hpp"
#include "tensor/x86/fast_vector_avx2.hpp"

int main(int argc, char** argv) {
  const unsigned threads = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 2;
  const uint64_t mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1024;
  if (threads == 0 || mib == 0) {
    std::fprintf(stderr, "usage: memory_bandwidth_bench [THREADS>0] [MiB>0]\n");
    return 2;
  }
  const auto floats = static_cast<int64_t>(mib * 1024 * 1024 / sizeof(float));
  std::vector<float> buffer(static_cast<size_t>(floats), 1.0f);  // touched: pages resident
  std::vector<float> ones(4096, 1.0f);
  weft::tensor::ThreadPool pool(threads);
  std::vector<double> sums(threads);
  const bool avx2 = weft::tensor::cpu_has_avx2_fma_f16c();
  double best = 0;
  for (int pass = 0; pass < 5; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    pool.parallel_for(threads, [&](int64_t begin, int64_t end, unsigned) {
      for (int64_t share = begin; share < end; ++share) {
        const int64_t first = floats * share / threads;
        const int64_t last = floats * (share + 1) / threads;
        double sum = 0;
        for (int64_t at = first; at < last; at += 4096) {
          const int64_t n = std::min<int64_t>(4096, last - at);
          if (avx2) {
            sum += weft::tensor::avx2_dot(buffer.data() + at, ones.data(), n);
          } else {
            for (int64_t i = 0; i < n; ++i) sum += buffer[static_cast<size_t>(at + i)];
          }
        }
        sums[static_cast<size_t>(share)] = sum;
      }
    });
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(floats) * sizeof(float) / seconds / 1e9);
  }
  double total = 0;
  for (double s : sums) total += s;
  std::printf("threads %u, %llu MiB: %.1f GB/s (checksum %.0f)\n", threads,
              static_cast<unsigned long long>(mib), best, total);
  return 0;
}
