// Run-time CPU detection against the kernel's own view of this CPU (/proc/cpuinfo flags).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "tensor/cpu_features.hpp"
#include "weft/error.hpp"

namespace weft::tensor {
namespace {

std::set<std::string> proc_cpuinfo_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::set<std::string> flags;
    for (std::string w; words >> w;) flags.insert(w);
    return flags;
  }
  return {};
}

TEST(CpuFeatures, AgreesWithProcCpuinfo) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "x86-64 only";
#else
  const std::set<std::string> flags = proc_cpuinfo_flags();
  ASSERT_FALSE(flags.empty()) << "/proc/cpuinfo has no flags line";
  CpuFeatures expected;
  expected.avx2 = flags.count("avx2") == 1;
  expected.fma = flags.count("fma") == 1;
  expected.f16c = flags.count("f16c") == 1;
  expected.avx512f = flags.count("avx512f") == 1;
  expected.avx512bw = flags.count("avx512bw") == 1;
  expected.avx512vl = flags.count("avx512vl") == 1;
  expected.avx512vnni = flags.count("avx512_vnni") == 1;
  if (const char* level = std::getenv("WEFT_CPU_LEVEL"); level != nullptr && *level != '\0') {
    expected = capped_cpu_features(expected, level);
  }
  const CpuFeatures& f = cpu_features();
  EXPECT_EQ(f.avx2, expected.avx2);
  EXPECT_EQ(f.fma, expected.fma);
  EXPECT_EQ(f.f16c, expected.f16c);
  EXPECT_EQ(f.avx512f, expected.avx512f);
  EXPECT_EQ(f.avx512bw, expected.avx512bw);
  EXPECT_EQ(f.avx512vl, expected.avx512vl);
  EXPECT_EQ(f.avx512vnni, expected.avx512vnni);
  EXPECT_EQ(cpu_has_avx2_fma_f16c(), f.avx2 && f.fma && f.f16c);
#endif
}

TEST(CpuFeatures, ALevelCapsWhatIsAbove) {
  CpuFeatures all;
  all.avx2 = all.fma = all.f16c = true;
  all.avx512f = all.avx512bw = all.avx512vl = all.avx512vnni = true;
  const CpuFeatures avx2 = capped_cpu_features(all, "avx2");
  EXPECT_TRUE(avx2.avx2 && avx2.fma && avx2.f16c);
  EXPECT_FALSE(avx2.avx512f || avx2.avx512bw || avx2.avx512vl || avx2.avx512vnni);
  const CpuFeatures scalar = capped_cpu_features(all, "scalar");
  EXPECT_FALSE(scalar.avx2 || scalar.fma || scalar.f16c || scalar.avx512f);
  EXPECT_TRUE(capped_cpu_features(all, "avx512").avx512vnni);
  // A cap never adds what the CPU lacks.
  EXPECT_FALSE(capped_cpu_features(CpuFeatures{}, "avx512").avx2);
  try {
    (void)capped_cpu_features(all, "sse9");
    FAIL() << "an unknown level was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("WEFT_CPU_LEVEL=sse9"), std::string::npos);
  }
}

}  // namespace
}  // namespace weft::tensor
