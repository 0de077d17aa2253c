#include "server/runtime_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "weft/error.hpp"

namespace weft::server {
namespace {

class ScratchDir {
 public:
  ScratchDir() {
    char name[] = "/tmp/weft-runtime-files-XXXXXX";
    path_ = ::mkdtemp(name);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string startup_failure(const std::string& directory) {
  try {
    RuntimeLock lock(directory);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(RuntimeLock, RefusesADirectoryOthersMayWriteIn) {
  ScratchDir scratch;
  for (mode_t mode : {0770, 0703, 0777}) {
    const std::string directory = scratch.path() + "/run-" + std::to_string(mode);
    ASSERT_EQ(::mkdir(directory.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(directory.c_str(), mode), 0);
    std::string message = startup_failure(directory);
    EXPECT_NE(message.find("lets other users write"), std::string::npos) << mode << ": " << message;
    EXPECT_NE(message.find("chmod 700 " + directory), std::string::npos) << message;
    EXPECT_FALSE(std::filesystem::exists(directory + "/weft.lock")) << mode;
  }
}

TEST(RuntimeLock, CreatesAPrivateDirectoryAndAcceptsOneThatOthersOnlyRead) {
  ScratchDir scratch;
  const std::string created = scratch.path() + "/new/run";
  {
    RuntimeLock lock(created);
    struct stat info {};
    ASSERT_EQ(::stat(created.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0700u);
    EXPECT_TRUE(std::filesystem::exists(created + "/weft.lock"));
  }
  EXPECT_FALSE(std::filesystem::exists(created + "/weft.lock"));
  const std::string readable = scratch.path() + "/readable";
  ASSERT_EQ(::mkdir(readable.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(readable.c_str(), 0755), 0);
  EXPECT_EQ(startup_failure(readable), "");
}

TEST(RuntimeLock, ASecondLockOnTheSameDirectoryIsRefusedUntilTheFirstIsGone) {
  ScratchDir scratch;
  {
    RuntimeLock first(scratch.path());
    std::string message = startup_failure(scratch.path());
    EXPECT_NE(message.find("another weft daemon (pid " + std::to_string(::getpid()) + ")"),
              std::string::npos)
        << message;
  }
  EXPECT_EQ(startup_failure(scratch.path()), "");
}

}  // namespace
}  // namespace weft::server
