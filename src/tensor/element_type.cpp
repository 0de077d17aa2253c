#include "tensor/element_type.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

namespace weft::tensor {
namespace {

constexpr std::array kTraits = {
    TypeTraits{ElementType::F32, "f32", 1, 4},
    TypeTraits{ElementType::F16, "f16", 1, 2},
    TypeTraits{ElementType::Q4_0, "q4_0", 32, 18},
    TypeTraits{ElementType::Q4_1, "q4_1", 32, 20},
    TypeTraits{ElementType::Q5_0, "q5_0", 32, 22},
    TypeTraits{ElementType::Q5_1, "q5_1", 32, 24},
    TypeTraits{ElementType::Q8_0, "q8_0", 32, 34},
    TypeTraits{ElementType::Q8_1, "q8_1", 32, 36},
    TypeTraits{ElementType::Q2_K, "q2_K", 256, 84},
    TypeTraits{ElementType::Q3_K, "q3_K", 256, 110},
    TypeTraits{ElementType::Q4_K, "q4_K", 256, 144},
    TypeTraits{ElementType::Q5_K, "q5_K", 256, 176},
    TypeTraits{ElementType::Q6_K, "q6_K", 256, 210},
    TypeTraits{ElementType::Q8_K, "q8_K", 256, 292},
    TypeTraits{ElementType::IQ4_NL, "iq4_nl", 32, 18},
    TypeTraits{ElementType::IQ4_XS, "iq4_xs", 256, 136},
    TypeTraits{ElementType::MXFP4, "mxfp4", 32, 17},
    TypeTraits{ElementType::BF16, "bf16", 1, 2},
};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<TypeTraits> traits_of(uint32_t raw_type) {
  for (const auto& traits : kTraits) {
    if (static_cast<uint32_t>(traits.type) == raw_type) return traits;
  }
  return std::nullopt;
}

TypeTraits traits_of(ElementType type) {
  return *traits_of(static_cast<uint32_t>(type));
}

std::optional<ElementType> parse_element_type(std::string_view name) {
  for (const auto& traits : kTraits) {
    if (equal_ignoring_case(traits.name, name)) return traits.type;
  }
  return std::nullopt;
}

std::optional<uint64_t> bytes_for(ElementType type, uint64_t elements) {
  auto traits = traits_of(type);
  if (elements % traits.block_size != 0) return std::nullopt;
  uint64_t blocks = elements / traits.block_size;
  if (blocks > std::numeric_limits<uint64_t>::max() / traits.block_bytes) return std::nullopt;
  return blocks * traits.block_bytes;
}

}  // namespace weft::tensor
