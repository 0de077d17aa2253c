#include "tensor/mapped_memory.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

namespace weft::tensor {
namespace {

constexpr uint64_t kHugePage = uint64_t{2} << 20;

bool all_zero(const MappedMemory& memory) {
  for (uint64_t i = 0; i < memory.size(); i += 4096)
    if (memory.data()[i] != std::byte{0}) return false;
  return memory.data()[memory.size() - 1] == std::byte{0};
}

TEST(MappedMemory, HugePageBackingStartsOnAHugePageAndIsZeroedAndWritable) {
  // An odd size: the huge pages cover the whole 2 MiB part, the tail stays in system pages.
  const uint64_t bytes = 5 * kHugePage + 12345;
  MappedMemory memory(bytes, PageBacking::huge);
  ASSERT_NE(memory.data(), nullptr);
  EXPECT_EQ(memory.size(), bytes);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(memory.data()) % kHugePage, 0u);
  EXPECT_TRUE(all_zero(memory));
  for (uint64_t i = 0; i < bytes; i += 4096) memory.data()[i] = std::byte{1};
  memory.data()[bytes - 1] = std::byte{2};
  // Moving keeps the same memory and leaves the source empty; the move target unmaps it.
  MappedMemory moved = std::move(memory);
  EXPECT_EQ(memory.data(), nullptr);
  EXPECT_EQ(moved.data()[bytes - 1], std::byte{2});
}

TEST(MappedMemory, SmallOrSystemBackedBuffersArePageAligned) {
  for (auto backing : {PageBacking::system, PageBacking::huge}) {
    MappedMemory memory(100000, backing);  // under one huge page: system pages either way
    EXPECT_EQ(reinterpret_cast<uintptr_t>(memory.data()) % 4096, 0u);
    EXPECT_TRUE(all_zero(memory));
  }
}

}  // namespace
}  // namespace weft::tensor
