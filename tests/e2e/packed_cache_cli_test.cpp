// The packed-weight cache as `weft run --verbose` shows it: the first load says why it packed
// (no cache file yet, and where that file goes), and a file written at one CPU level
// (WEFT_CPU_LEVEL) is read, not rewritten, at the other: both levels pack the same matrices
// into the same bytes, so alternating them keeps one file.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "support/run_weft_input.hpp"

namespace weft {
namespace {

namespace fs = std::filesystem;
using test::run_weft_with_input;

bool cpu_reports_avx512f() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("flags", 0) == 0) return (line + " ").find(" avx512f ") != std::string::npos;
  return false;
}

class PackedCacheCli : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        fs::temp_directory_path() / ("weft-packed-cache-cli-" + std::to_string(::getpid()));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  // `weft run MODEL hi -n 1 --verbose` at `cpu_level` (empty: this CPU's own), caching in
  // directory_/cache.
  test::WeftResult run_at(const std::string& cpu_level) const {
    std::vector<std::pair<std::string, std::string>> environment = {
        {"WEFT_BACKEND", ""},
        {"WEFT_ENGINE_BIN", ""},
        {"WEFT_PACKED_CACHE", cache_directory().string()},
        {"WEFT_CPU_LEVEL", cpu_level}};
    return run_weft_with_input(
        {"run", "--backend", "native", model_path().string(), "hi", "-n", "1", "--verbose"}, "",
        environment);
  }

  fs::path model_path() const { return directory_ / "packed-cache.gguf"; }
  fs::path cache_directory() const { return directory_ / "cache"; }
  std::vector<fs::path> cache_files() const {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(cache_directory()))
      files.push_back(entry.path());
    return files;
  }

  fs::path directory_;
};

TEST_F(PackedCacheCli, OneFileServesBothCpuLevelsAndTheFirstLoadSaysWhyItPacked) {
  if (!cpu_reports_avx512f()) GTEST_SKIP() << "this CPU has one level with packed weights";
  // Q8_0 weights of about 76 MiB: above the 64 MiB under which packed weights are not cached.
  const auto made =
      run_weft_with_input({"mkmodel", "--dim", "1024", "--layers", "4", "--heads", "8", "--ffn",
                           "4096", "--vocab", "8192", "--type", "q8_0", model_path().string()},
                          "");
  ASSERT_EQ(made.exit_code, 0) << made.err;

  const auto first = run_at("avx512");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("weft: loading: packing weights\n"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("weft: loading: writing packed weights\n"), std::string::npos)
      << first.err;
  ASSERT_EQ(cache_files().size(), 1u);
  const fs::path file = cache_files().front();
  EXPECT_NE(first.err.find("weft: loading: packed weights not read from " + file.string() +
                           ": no such file yet\n"),
            std::string::npos)
      << first.err;
  const auto written = fs::last_write_time(file);

  for (const std::string level : {"avx2", "avx512", "avx2"}) {
    const auto later = run_at(level);
    ASSERT_EQ(later.exit_code, 0) << later.err;
    EXPECT_NE(later.err.find("weft: loading: reading packed weights\n"), std::string::npos)
        << level << ": " << later.err;
    EXPECT_EQ(later.err.find("packing weights"), std::string::npos)
        << level << " did not use the file the other level wrote: " << later.err;
    EXPECT_EQ(later.err.find("writing packed weights"), std::string::npos) << later.err;
  }
  EXPECT_EQ(cache_files(), std::vector<fs::path>{file});
  EXPECT_EQ(fs::last_write_time(file), written) << "the cache file was rewritten";
}

}  // namespace
}  // namespace weft
