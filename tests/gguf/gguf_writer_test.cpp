// The writer: read → write → read keeps every key, value and tensor byte; edits and misuse.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "support/shared_files.hpp"
#include "weft/error.hpp"

namespace weft::gguf {
namespace {

void expect_same_content(const GgufFile& original, const GgufFile& copy) {
  EXPECT_EQ(copy.version(), 3u);
  EXPECT_EQ(copy.alignment(), original.alignment());
  ASSERT_EQ(copy.metadata().size(), original.metadata().size());
  for (size_t i = 0; i < original.metadata().size(); ++i) {
    EXPECT_EQ(copy.metadata()[i], original.metadata()[i]) << original.metadata()[i].key;
  }
  ASSERT_EQ(copy.tensors().size(), original.tensors().size());
  for (size_t i = 0; i < original.tensors().size(); ++i) {
    const auto& a = original.tensors()[i];
    const auto& b = copy.tensors()[i];
    SCOPED_TRACE(a.name);
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.type, a.type);
    EXPECT_EQ(b.shape, a.shape);
    ASSERT_EQ(b.size_bytes, a.size_bytes);
    EXPECT_EQ(std::memcmp(a.data, b.data, a.size_bytes), 0);
  }
}

TEST(GgufWriter, RoundTripKeepsEveryKeyValueAndTensorByte) {
  const char* files[] = {
      "models/stories260K/stories260K-f32.gguf",
      "models/stories260K/stories260K-q4_k_m-fallback.gguf",
      "models/vocab/ggml-vocab-llama-spm.gguf",
      "models/vocab/ggml-vocab-gpt-2.gguf",
      "models/vocab/ggml-vocab-bert-bge.gguf",
      "fixtures/llama/llama-q4_k_m.gguf",
      "fixtures/gemma2/gemma2-q8_0.gguf",
      "fixtures/phi3/phi3-f32.gguf",
  };
  for (const char* relative : files) {
    SCOPED_TRACE(relative);
    auto original = GgufFile::open(test::shared_path(relative));
    auto bytes = GgufWriter::copy_of(*original).to_bytes();
    auto copy = GgufFile::from_buffer(bytes, "copy");
    expect_same_content(*original, *copy);
    // Writing what was read again gives the very same bytes.
    EXPECT_EQ(GgufWriter::copy_of(*copy).to_bytes(), bytes);
  }
}

TEST(GgufWriter, WritesAFileThatOpensThroughTheMapping) {
  auto original = GgufFile::open(test::shared_path("models/stories260K/stories260K-f16.gguf"));
  auto writer = GgufWriter::copy_of(*original);
  writer.set_alignment(64);
  writer.set_string("general.name", "edited");
  writer.set_int32_array("test.ints", {-1, 2});
  writer.set_float32("test.float", 0.5f);
  auto path = std::filesystem::path(testing::TempDir()) / "weft-writer-test.gguf";
  writer.write(path.string());
  auto written = GgufFile::open(path.string());
  EXPECT_EQ(written->alignment(), 64u);
  EXPECT_EQ(written->get_string("general.name"), "edited");
  EXPECT_EQ(written->get_int_array("test.ints"), (std::vector<int64_t>{-1, 2}));
  EXPECT_EQ(written->get_float("test.float"), 0.5);
  // Replacing a key keeps its position.
  for (size_t i = 0; i < original->metadata().size(); ++i) {
    EXPECT_EQ(written->metadata()[i].key, original->metadata()[i].key);
  }
  ASSERT_EQ(written->tensors().size(), original->tensors().size());
  for (size_t i = 0; i < original->tensors().size(); ++i) {
    EXPECT_EQ(written->tensors()[i].offset % 64, 0u);
    EXPECT_EQ(std::memcmp(written->tensors()[i].data, original->tensors()[i].data,
                          original->tensors()[i].size_bytes),
              0);
  }
  std::filesystem::remove(path);
}

TEST(GgufWriter, WritesEveryValueType) {
  Value nested{
      ValueType::array,
      ArrayValue{ValueType::array,
                 {Value{ValueType::array,
                        ArrayValue{ValueType::int8, {Value{ValueType::int8, int64_t{-3}}}}},
                  Value{ValueType::array, ArrayValue{ValueType::string, {}}}}}};
  const std::vector<std::pair<std::string, Value>> values = {
      {"u8", {ValueType::uint8, uint64_t{255}}},
      {"i8", {ValueType::int8, int64_t{-128}}},
      {"u16", {ValueType::uint16, uint64_t{65535}}},
      {"i16", {ValueType::int16, int64_t{-32768}}},
      {"u32", {ValueType::uint32, uint64_t{4294967295u}}},
      {"i32", {ValueType::int32, int64_t{-2147483647 - 1}}},
      {"f32", {ValueType::float32, double{0.1f}}},
      {"bool", {ValueType::boolean, false}},
      {"str", {ValueType::string, std::string("a\0b", 3)}},
      {"u64", {ValueType::uint64, ~uint64_t{0}}},
      {"i64", {ValueType::int64, int64_t{-1} << 62}},
      {"f64", {ValueType::float64, 0.1}},
      {"nested", nested},
  };
  GgufWriter writer;
  for (const auto& [key, value] : values) writer.set(key, value);
  auto file = GgufFile::from_buffer(writer.to_bytes());
  ASSERT_EQ(file->metadata().size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(file->metadata()[i].key, values[i].first);
    EXPECT_EQ(file->metadata()[i].value, values[i].second) << values[i].first;
  }
}

TEST(GgufWriter, RejectsInconsistentInput) {
  GgufWriter writer;
  EXPECT_THROW(writer.set("bad", Value{ValueType::uint8, uint64_t{256}}), Error);
  EXPECT_THROW(writer.set("bad", Value{ValueType::string, uint64_t{1}}), Error);
  ArrayValue mixed{ValueType::int32, {Value{ValueType::string, std::string("x")}}};
  EXPECT_THROW(writer.set("bad", Value{ValueType::array, mixed}), Error);
  EXPECT_THROW(writer.set_alignment(48), Error);
  std::vector<std::byte> data(16);
  EXPECT_THROW(writer.add_tensor({"t", tensor::ElementType::F32, {5}, data}), Error);
  EXPECT_THROW(writer.add_tensor({"t", tensor::ElementType::Q8_0, {4}, data}), Error);
  EXPECT_THROW(writer.add_tensor({"t", tensor::ElementType::F32, {4, 0}, data}), Error);
  writer.add_tensor({"t", tensor::ElementType::F32, {4}, data});
  EXPECT_THROW(writer.add_tensor({"t", tensor::ElementType::F32, {4}, data}), Error);
  EXPECT_TRUE(writer.metadata().empty());
  EXPECT_FALSE(writer.remove("bad"));
}

}  // namespace
}  // namespace weft::gguf
