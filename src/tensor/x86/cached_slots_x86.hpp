// Widening a few cached KV slots in place: the attention reads one head's keys or values
// straight from the cache pages a run of slots at a time (about a page, so the floats stay in
// L1) instead of converting a whole sequence into a float copy first. An AVX2/F16C version
// (eight values per conversion) and an AVX-512 one (sixteen); cached_slots_widener() picks
// the one this CPU runs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/cpu_features.hpp"
#include "tensor/formats/element_type.hpp"

namespace weft::tensor {

// tile[i·dim + d] = value d of slot i, for i < count; slot i's stored values start at
// first + i·stride bytes. type is F16, F32 or Q8_0 (blocks of 32 with an F16 scale); dim is
// a multiple of 8, and of 32 for Q8_0.
using CachedSlotsWidener = void (*)(ElementType type, const std::byte* first, int64_t stride,
                                    int64_t count, int64_t dim, float* tile);

// Needs AVX2/FMA/F16C (cpu_has_avx2_fma_f16c()).
void avx2_widen_cached_slots(ElementType type, const std::byte* first, int64_t stride,
                             int64_t count, int64_t dim, float* tile);
// Needs that and AVX-512F.
void avx512_widen_cached_slots(ElementType type, const std::byte* first, int64_t stride,
                               int64_t count, int64_t dim, float* tile);

// The AVX-512 widener where `features` has AVX-512F, else the AVX2 one.
CachedSlotsWidener cached_slots_widener(const CpuFeatures& features);

}  // namespace weft::tensor
