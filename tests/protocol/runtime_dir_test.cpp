#include "protocol/runtime_dir.hpp"
#include "support/environment_lookup.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

namespace weft::protocol {
namespace {

TEST(RuntimeDir, FollowsTheSpecsOrder) {
  EXPECT_EQ(
      resolve_runtime_dir(test::lookup_in({{"XDG_RUNTIME_DIR", "/run/user/7"}, {"HOME", "/h"}})),
      "/run/user/7/weft");
  EXPECT_EQ(resolve_runtime_dir(test::lookup_in({{"HOME", "/home/ann"}})), "/home/ann/.weft/run");
  EXPECT_EQ(resolve_runtime_dir(test::lookup_in({{"XDG_RUNTIME_DIR", ""}, {"HOME", ""}})),
            "/tmp/weft-" + std::to_string(::getuid()));
}

// inferd's endpoint.rs order, which its clients dial (docs/serve.md, "inferd compatibility").
TEST(RuntimeDir, InferdsDirectoryFollowsTheSameOrderWithItsName) {
  EXPECT_EQ(resolve_inferd_runtime_dir(
                test::lookup_in({{"XDG_RUNTIME_DIR", "/run/user/7"}, {"HOME", "/h"}})),
            "/run/user/7/inferd");
  EXPECT_EQ(resolve_inferd_runtime_dir(test::lookup_in({{"HOME", "/home/ann"}})),
            "/home/ann/.inferd/run");
  EXPECT_EQ(resolve_inferd_runtime_dir(test::lookup_in({})),
            "/tmp/inferd-" + std::to_string(::getuid()));
}

}  // namespace
}  // namespace weft::protocol
