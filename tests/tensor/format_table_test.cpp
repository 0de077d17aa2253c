// The format tables (tensor/formats/format_traits.hpp, tensor/cpu_format_traits.hpp): every row is
// found by its id and name, carries its conversions, and agrees with GGML's own tables
// (ggml.c's type_traits for block shapes, ggml-cpu.c's type_traits_cpu for vec_dot_type).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "tensor/cpu_format_traits.hpp"
#include "tensor/formats/format_traits.hpp"
#include "tensor/kernels.hpp"
#include "weft/error.hpp"

namespace weft::tensor {
namespace {

struct GgmlFacts {
  uint32_t block_size;
  uint32_t block_bytes;
  ElementType vec_dot_type;  // F32 where GGML has none (the activation formats)
};

// Written from GGML's tables, not from weft's.
const std::map<ElementType, GgmlFacts>& ggml_facts() {
  using T = ElementType;
  static const std::map<ElementType, GgmlFacts> facts = {
      {T::F32, {1, 4, T::F32}},         {T::F16, {1, 2, T::F16}},
      {T::BF16, {1, 2, T::BF16}},       {T::Q4_0, {32, 18, T::Q8_0}},
      {T::Q4_1, {32, 20, T::Q8_1}},     {T::Q5_0, {32, 22, T::Q8_0}},
      {T::Q5_1, {32, 24, T::Q8_1}},     {T::Q8_0, {32, 34, T::Q8_0}},
      {T::Q8_1, {32, 36, T::F32}},      {T::Q2_K, {256, 84, T::Q8_K}},
      {T::Q3_K, {256, 110, T::Q8_K}},   {T::Q4_K, {256, 144, T::Q8_K}},
      {T::Q5_K, {256, 176, T::Q8_K}},   {T::Q6_K, {256, 210, T::Q8_K}},
      {T::Q8_K, {256, 292, T::F32}},    {T::IQ4_NL, {32, 18, T::Q8_0}},
      {T::IQ4_XS, {256, 136, T::Q8_K}}, {T::MXFP4, {32, 17, T::Q8_0}},
  };
  return facts;
}

TEST(FormatTable, EveryRowIsFoundByIdAndName) {
  EXPECT_EQ(format_table().size(), ggml_facts().size());
  for (const FormatTraits& row : format_table()) {
    const TypeTraits& traits = row.traits;
    SCOPED_TRACE(std::string(traits.name));
    EXPECT_EQ(find_format(static_cast<uint32_t>(traits.type)), &row);
    EXPECT_EQ(&format_traits(traits.type), &row);
    EXPECT_EQ(parse_element_type(traits.name), traits.type);
    EXPECT_NE(row.to_float, nullptr);
    EXPECT_NE(row.from_float, nullptr);
  }
}

TEST(FormatTable, BlockShapesAndPartnersAreGgmls) {
  for (const auto& [type, facts] : ggml_facts()) {
    const TypeTraits traits = format_traits(type).traits;
    SCOPED_TRACE(std::string(traits.name));
    EXPECT_EQ(traits.block_size, facts.block_size);
    EXPECT_EQ(traits.block_bytes, facts.block_bytes);
    const CpuFormatTraits& cpu = cpu_format_traits(type);
    EXPECT_EQ(cpu.type, type);
    EXPECT_EQ(cpu.vec_dot_type, facts.vec_dot_type);
    EXPECT_EQ(activation_partner(type), facts.vec_dot_type);
    EXPECT_NE(cpu.to_float, nullptr);
  }
}

TEST(FormatTable, UnknownIdsHaveNoRow) {
  EXPECT_EQ(find_format(4), nullptr);  // GGML's removed Q4_2
  EXPECT_EQ(find_format(1000), nullptr);
  EXPECT_FALSE(traits_of(4u).has_value());
  EXPECT_THROW(format_traits(static_cast<ElementType>(4)), Error);
  EXPECT_THROW(cpu_format_traits(static_cast<ElementType>(4)), Error);
}

}  // namespace
}  // namespace weft::tensor
