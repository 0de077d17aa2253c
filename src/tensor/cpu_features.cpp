#include "tensor/cpu_features.hpp"

#include <cstdlib>
#include <string>

#include "weft/error.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define WEFT_HAVE_CPUID 1
#endif

namespace weft::tensor {
namespace {

#ifdef WEFT_HAVE_CPUID
// clang 14's __builtin_cpu_supports() does not know "f16c", so the bits are read from
// CPUID directly, and XGETBV confirms the OS saves the YMM/ZMM registers.
unsigned long long enabled_register_state() {
  unsigned eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return f;
  const bool osxsave = (ecx & bit_OSXSAVE) != 0;
  if (!osxsave) return f;
  const unsigned long long xcr0 = enabled_register_state();
  const bool ymm_enabled = (xcr0 & 0x6) == 0x6;
  const bool zmm_enabled = (xcr0 & 0xe6) == 0xe6;
  if (!ymm_enabled) return f;
  const bool avx = (ecx & bit_AVX) != 0;
  f.fma = avx && (ecx & bit_FMA) != 0;
  f.f16c = avx && (ecx & bit_F16C) != 0;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return f;
  f.avx2 = avx && (ebx & bit_AVX2) != 0;
  if (zmm_enabled) {
    f.avx512f = (ebx & bit_AVX512F) != 0;
    f.avx512bw = f.avx512f && (ebx & bit_AVX512BW) != 0;
    f.avx512vl = f.avx512f && (ebx & bit_AVX512VL) != 0;
    f.avx512vnni = f.avx512f && (ecx & bit_AVX512VNNI) != 0;
  }
  return f;
}
#else
CpuFeatures detect() {
  return {};
}
#endif

}  // namespace

CpuFeatures capped_cpu_features(CpuFeatures detected, std::string_view level) {
  if (level == "avx512") return detected;
  if (level == "avx2") {
    detected.avx512f = detected.avx512bw = detected.avx512vl = detected.avx512vnni = false;
    return detected;
  }
  if (level == "scalar") return {};
  throw Error(ErrorCode::invalid_request,
              "WEFT_CPU_LEVEL=" + std::string(level) + ": expected avx512, avx2 or scalar");
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = [] {
    const char* level = std::getenv("WEFT_CPU_LEVEL");
    return level == nullptr || *level == '\0' ? detect() : capped_cpu_features(detect(), level);
  }();
  return features;
}

bool cpu_has_avx2_fma_f16c() {
  const CpuFeatures& f = cpu_features();
  return f.avx2 && f.fma && f.f16c;
}

}  // namespace weft::tensor
