#include "server/auth.hpp"

#include <gtest/gtest.h>

namespace weft::server {
namespace {

TEST(Auth, AcceptsOnlyTheExactKey) {
  EXPECT_TRUE(keys_match("s3cret-key", "s3cret-key"));
  EXPECT_FALSE(keys_match("s3cret-kez", "s3cret-key"));
  EXPECT_FALSE(keys_match("s3cret", "s3cret-key"));
  EXPECT_FALSE(keys_match("s3cret-key-and-more", "s3cret-key"));
  EXPECT_FALSE(keys_match("", "s3cret-key"));
  EXPECT_FALSE(keys_match(std::string("s3cret-key\0", 11), "s3cret-key"));
  EXPECT_FALSE(keys_match("", ""));  // no key configured is never a match
}

}  // namespace
}  // namespace weft::server
