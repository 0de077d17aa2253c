// Every metadata value type, nested arrays, general.alignment and the typed accessors, on a
// GGUF v2 file assembled byte by byte.
#include <gtest/gtest.h>

#include "gguf/gguf_file.hpp"
#include "support/gguf_bytes.hpp"
#include "weft/error.hpp"

namespace weft::gguf {
namespace {

using test::GgufBytes;

enum : uint32_t { U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 };

std::shared_ptr<const GgufFile> every_type_file() {
  GgufBytes file;
  file.header(2, 1, 16);
  file.str("u8").u32(U8).u8(200);
  file.str("i8").u32(I8).u8(0x80);  // -128
  file.str("u16").u32(U16).u16(65535);
  file.str("i16").u32(I16).u16(0xfffe);  // -2
  file.str("u32").u32(U32).u32(4294967295u);
  file.str("i32").u32(I32).i32(-7);
  file.str("f32").u32(F32).f32(0.25f);
  file.str("bool").u32(BOOL).u8(1);
  file.str("str").u32(STR).str("h\xc3\xa9llo");
  file.str("u64").u32(U64).u64(uint64_t{1} << 63);
  file.str("i64").u32(I64).u64(uint64_t(-5));
  file.str("f64").u32(F64).f64(-1.5);
  file.str("strings").u32(ARR).u32(STR).u64(3).str("<unk>").str("").str("b");
  file.str("floats").u32(ARR).u32(F32).u64(2).f32(1.5f).f32(-2.0f);
  file.str("nested").u32(ARR).u32(ARR).u64(2);
  file.u32(I32).u64(2).i32(1).i32(-2);
  file.u32(STR).u64(1).str("x");
  file.str("general.alignment").u32(U32).u32(64);
  file.tensor_info("t", {2, 3}, 1, 0);  // F16
  file.pad_to(64).zeros(12);
  return GgufFile::from_buffer(file.bytes());
}

TEST(GgufMetadata, ReadsEveryTypeFromAVersion2File) {
  auto file = every_type_file();
  EXPECT_EQ(file->version(), 2u);
  EXPECT_EQ(file->alignment(), 64u);
  EXPECT_EQ(file->data_offset() % 64, 0u);
  ASSERT_EQ(file->metadata().size(), 16u);
  EXPECT_EQ(file->metadata()[0].key, "u8");
  EXPECT_EQ(file->find("i16")->type, ValueType::int16);
  EXPECT_EQ(file->get_uint("u8"), 200u);
  EXPECT_EQ(file->get_int("i8"), -128);
  EXPECT_EQ(file->get_uint("u16"), 65535u);
  EXPECT_EQ(file->get_int("i16"), -2);
  EXPECT_EQ(file->get_uint("u32"), 4294967295u);
  EXPECT_EQ(file->get_int("i32"), -7);
  EXPECT_EQ(file->get_float("f32"), 0.25);
  EXPECT_EQ(file->get_bool("bool"), true);
  EXPECT_EQ(file->get_string("str"), "h\xc3\xa9llo");
  EXPECT_EQ(file->get_uint("u64"), uint64_t{1} << 63);
  EXPECT_EQ(file->get_int("i64"), -5);
  EXPECT_EQ(file->get_float("f64"), -1.5);
  EXPECT_EQ(file->get_string_array("strings"), (std::vector<std::string>{"<unk>", "", "b"}));
  EXPECT_EQ(file->get_float_array("floats"), (std::vector<float>{1.5f, -2.0f}));

  const auto& nested = std::get<ArrayValue>(file->find("nested")->data);
  ASSERT_EQ(nested.elements.size(), 2u);
  const auto& first = std::get<ArrayValue>(nested.elements[0].data);
  EXPECT_EQ(first.element_type, ValueType::int32);
  EXPECT_EQ(std::get<int64_t>(first.elements[1].data), -2);
  const auto& second = std::get<ArrayValue>(nested.elements[1].data);
  EXPECT_EQ(std::get<std::string>(second.elements[0].data), "x");

  const TensorView* tensor = file->find_tensor("t");
  ASSERT_NE(tensor, nullptr);
  EXPECT_EQ(tensor->size_bytes, 12u);
  EXPECT_EQ(tensor->rows(), 3u);
  EXPECT_EQ(tensor->element_count(), 6u);
}

TEST(GgufMetadata, AccessorsConvertIntegersAndRejectOtherTypes) {
  auto file = every_type_file();
  EXPECT_EQ(file->get_int("u32"), 4294967295);
  EXPECT_EQ(file->get_float("i32"), -7.0);
  EXPECT_EQ(file->get_uint("missing"), std::nullopt);
  EXPECT_EQ(file->find_tensor("missing"), nullptr);
  EXPECT_THROW(file->get_uint("i8"), Error);  // negative
  EXPECT_THROW(file->get_int("u64"), Error);  // above int64
  EXPECT_THROW(file->get_string("u8"), Error);
  EXPECT_THROW(file->get_bool("u8"), Error);
  EXPECT_THROW(file->get_uint("str"), Error);
  EXPECT_THROW(file->get_string_array("floats"), Error);
  EXPECT_THROW(file->get_int_array("strings"), Error);
  try {
    file->get_string("u16");
    ADD_FAILURE() << "a uint16 key read as a string";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "metadata key 'u16' has type uint16, expected string");
  }
}

}  // namespace
}  // namespace weft::gguf
