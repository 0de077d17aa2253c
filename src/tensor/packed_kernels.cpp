#include "tensor/packed_kernels.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cstring>

#include "tensor/activation_quant_avx2.hpp"
#include "tensor/quant_blocks.hpp"
#include "tensor/weight_matrix.hpp"

namespace weft::tensor {
namespace {

#define WEFT_PACKED_TARGET __attribute__((target("avx2,fma,f16c")))
#define WEFT_PACKED_VNNI 0
#define WEFT_PACKED_TILE avx2_packed_tile
#define WEFT_PACKED_Q4K_TILE avx2_packed_q4k_tile
#include "tensor/packed_kernels.inc"
#undef WEFT_PACKED_TARGET
#undef WEFT_PACKED_VNNI
#undef WEFT_PACKED_TILE
#undef WEFT_PACKED_Q4K_TILE

#define WEFT_PACKED_TARGET \
  __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))
#define WEFT_PACKED_VNNI 1
#define WEFT_PACKED_TILE vnni_packed_tile
#define WEFT_PACKED_Q4K_TILE vnni_packed_q4k_tile
#include "tensor/packed_kernels.inc"
#undef WEFT_PACKED_TARGET
#undef WEFT_PACKED_VNNI
#undef WEFT_PACKED_TILE
#undef WEFT_PACKED_Q4K_TILE

constexpr PackedTiles kAvx2Tiles{
    {&avx2_packed_tile<1>, &avx2_packed_tile<2>, &avx2_packed_tile<3>, &avx2_packed_tile<4>}};
constexpr PackedTiles kVnniTiles{
    {&vnni_packed_tile<1>, &vnni_packed_tile<2>, &vnni_packed_tile<3>, &vnni_packed_tile<4>}};
constexpr PackedTiles kAvx2Q4KTiles{{&avx2_packed_q4k_tile<1>, &avx2_packed_q4k_tile<2>,
                                     &avx2_packed_q4k_tile<3>, &avx2_packed_q4k_tile<4>}};
constexpr PackedTiles kVnniQ4KTiles{{&vnni_packed_q4k_tile<1>, &vnni_packed_q4k_tile<2>,
                                     &vnni_packed_q4k_tile<3>, &vnni_packed_q4k_tile<4>}};

}  // namespace

const PackedTiles& packed_tiles(ElementType type, bool vnni) {
  if (type == ElementType::Q4_K) return vnni ? kVnniQ4KTiles : kAvx2Q4KTiles;
  return vnni ? kVnniTiles : kAvx2Tiles;
}

}  // namespace weft::tensor

#else  // no x86-64: packed_products_available() is false and nothing packs

namespace weft::tensor {
const PackedTiles& packed_tiles(ElementType, bool) {
  static const PackedTiles none;
  return none;
}
}  // namespace weft::tensor

#endif
