// dial_and_wait_ready's retry schedule (PROTOCOLS §1: 100 ms, doubling, capped at 5 s,
// until the deadline), observed through a fake clock so the test does not sleep.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <vector>

#include "client/connection.hpp"
#include "weft/error.hpp"

namespace weft::client {
namespace {

using std::chrono::milliseconds;

struct FakeClock {
  std::chrono::steady_clock::time_point time{};
  std::vector<milliseconds> sleeps;
  RetryClock clock() {
    return {[this] { return time; },
            [this](milliseconds pause) {
              sleeps.push_back(pause);
              time += pause;
            }};
  }
};

std::string absent_socket() {
  return (std::filesystem::temp_directory_path() / "weft-dial-backoff-absent" / "infer.sock")
      .string();
}

TEST(DialBackoff, DoublesFrom100MsUpTo5SecondsThenStopsAtTheDeadline) {
  FakeClock fake;
  try {
    open_when_ready(Address::unix_socket(absent_socket()), milliseconds(20000), "", fake.clock());
    FAIL() << "connected to nothing";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::backend_unavailable);
    EXPECT_NE(std::string(error.what()).find("gave up after 20000 ms"), std::string::npos)
        << error.what();
  }
  // 100+200+400+800+1600+3200 = 6300, two capped waits reach 16300, the rest is 3700.
  const std::vector<milliseconds> expected = {
      milliseconds(100),  milliseconds(200),  milliseconds(400),
      milliseconds(800),  milliseconds(1600), milliseconds(3200),
      milliseconds(5000), milliseconds(5000), milliseconds(3700)};
  EXPECT_EQ(fake.sleeps, expected);
}

TEST(DialBackoff, APermanentErrorIsNotRetried) {
  FakeClock fake;
  // A path under a regular file: ENOTDIR, which retrying cannot fix.
  const std::string file = (std::filesystem::temp_directory_path() /
                            ("weft-dial-backoff-file-" + std::to_string(::getpid())))
                               .string();
  {
    std::FILE* created = std::fopen(file.c_str(), "w");
    ASSERT_NE(created, nullptr);
    std::fclose(created);
  }
  EXPECT_THROW(open_when_ready(Address::unix_socket(file + "/infer.sock"), milliseconds(20000), "",
                               fake.clock()),
               Error);
  EXPECT_TRUE(fake.sleeps.empty());
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace weft::client
