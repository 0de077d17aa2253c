#include "tensor/packed_q4_0_kernels.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cstring>

#include "tensor/activation_quant_avx2.hpp"
#include "tensor/weight_matrix.hpp"

namespace weft::tensor {
namespace {

#define WEFT_PACKED_TARGET __attribute__((target("avx2,fma,f16c")))
#define WEFT_PACKED_VNNI 0
#define WEFT_PACKED_TILE avx2_packed_tile
#include "tensor/packed_q4_0_kernel.inc"
#undef WEFT_PACKED_TARGET
#undef WEFT_PACKED_VNNI
#undef WEFT_PACKED_TILE

#define WEFT_PACKED_TARGET \
  __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))
#define WEFT_PACKED_VNNI 1
#define WEFT_PACKED_TILE vnni_packed_tile
#include "tensor/packed_q4_0_kernel.inc"
#undef WEFT_PACKED_TARGET
#undef WEFT_PACKED_VNNI
#undef WEFT_PACKED_TILE

constexpr PackedTiles kAvx2Tiles{
    {&avx2_packed_tile<1>, &avx2_packed_tile<2>, &avx2_packed_tile<3>, &avx2_packed_tile<4>}};
constexpr PackedTiles kVnniTiles{
    {&vnni_packed_tile<1>, &vnni_packed_tile<2>, &vnni_packed_tile<3>, &vnni_packed_tile<4>}};

}  // namespace

const PackedTiles& packed_q4_0_tiles(bool vnni) {
  return vnni ? kVnniTiles : kAvx2Tiles;
}

}  // namespace weft::tensor

#else  // no x86-64: packed_q4_0_available() is false and nothing packs

namespace weft::tensor {
const PackedTiles& packed_q4_0_tiles(bool) {
  static const PackedTiles none;
  return none;
}
}  // namespace weft::tensor

#endif
