// The packed-weight cache (model/packed_weight_cache.hpp): the first load packs and writes the
// file, later loads map it instead of packing, and what the kernels then read is the very
// packed copy a load without a cache makes — byte for byte, and so the same logits. A cache
// made from another model file, a changed model, a damaged or truncated cache file are never
// used; a directory that cannot be written leaves the load as it was without a cache.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "model/model.hpp"
#include "model/packed_weight_cache.hpp"
#include "runtime/engine.hpp"
#include "runtime/prompt_evaluation.hpp"
#include "support/fixture_evaluation.hpp"
#include "support/reference_logits.hpp"
#include "support/scoped_environment.hpp"
#include "support/shared_files.hpp"
#include "tensor/x86/packed_weights.hpp"

namespace weft::model {
namespace {

namespace fs = std::filesystem;

class PackedWeightCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tensor::packed_products_available(tensor::ElementType::Q8_0))
      GTEST_SKIP() << "this CPU packs no Q8_0 weights (no AVX2)";
    directory_ = fs::temp_directory_path() /
                 ("weft-packed-cache-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_ / "models");
    model_path_ = directory_ / "models" / "llama-q8_0.gguf";
    fs::copy_file(test::shared_path("fixtures/llama/llama-q8_0.gguf"), model_path_);
  }
  void TearDown() override {
    if (!directory_.empty()) fs::remove_all(directory_);
  }

  struct Loaded {
    std::shared_ptr<const Model> model;
    std::vector<std::string> steps;

    bool saw(const std::string& prefix) const { return !step_starting(prefix).empty(); }
    std::string step_starting(const std::string& prefix) const {
      for (const auto& step : steps)
        if (step.rfind(prefix, 0) == 0) return step;
      return {};
    }
    // What the load said about a cache file it did not use ("" when it used one).
    std::string why_not_read(const fs::path& file) const {
      const std::string prefix = "packed weights not read from " + file.string() + ": ";
      const auto step = step_starting(prefix);
      return step.empty() ? std::string() : step.substr(prefix.size());
    }
  };

  Loaded load(const fs::path& cache_directory) const {
    Loaded loaded;
    ModelLoadOptions options;
    options.packed_cache_directory = cache_directory;
    options.packed_cache_min_bytes = 0;
    options.progress = [&](const LoadProgress& progress) {
      if (loaded.steps.empty() || loaded.steps.back() != progress.step)
        loaded.steps.emplace_back(progress.step);
    };
    loaded.model = Model::load(model_path_.string(), options);
    return loaded;
  }

  fs::path cache_directory() const { return directory_ / "cache"; }
  fs::path cache_file() const {
    for (const auto& entry : fs::directory_iterator(cache_directory()))
      if (entry.path().extension() == ".packed") return entry.path();
    return {};
  }

  fs::path directory_;
  fs::path model_path_;
};

// Every packed matrix of `model` with its packed bytes, in a fixed order.
std::vector<std::vector<std::byte>> packed_copies(const Model& model) {
  std::vector<std::vector<std::byte>> copies;
  const auto add = [&](const tensor::WeightMatrix& matrix) {
    if (matrix.packed == nullptr) return;
    copies.emplace_back(matrix.packed, matrix.packed + tensor::packed_matrix_bytes(matrix));
  };
  for (const auto& layer : model.weights().layers)
    for (const auto* matrix :
         {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.gate, &layer.up, &layer.down})
      add(*matrix);
  add(model.weights().output);
  return copies;
}

std::vector<float> prompt_logits(const std::shared_ptr<const Model>& model) {
  runtime::Engine engine(model, test::reference_comparison_options(tensor::KernelChoice::fast));
  auto sequence = engine.new_sequence();
  const auto tokens =
      test::read_token_ids(test::shared_path("fixtures/llama/reference/llama-q8_0.tokens.txt"));
  return runtime::evaluate_prompt(engine, sequence, tokens, 0).prompt_logits;
}

TEST_F(PackedWeightCacheTest, LaterLoadsMapTheSameBytesTheFirstLoadPacked) {
  const auto uncached = load({});
  const auto first = load(cache_directory());
  EXPECT_TRUE(first.saw("packing weights"));
  EXPECT_TRUE(first.saw("writing packed weights"));
  EXPECT_FALSE(first.saw("packed weights not cached"));
  ASSERT_FALSE(cache_file().empty());
  // The first load says where the file will be, and that it is not there yet.
  EXPECT_EQ(first.why_not_read(cache_file()), "no such file yet")
      << testing::PrintToString(first.steps);

  const auto second = load(cache_directory());
  EXPECT_TRUE(second.saw("reading packed weights"));
  EXPECT_FALSE(second.saw("packing weights")) << "the cache file was not used";
  EXPECT_FALSE(second.saw("writing packed weights"));
  EXPECT_FALSE(second.saw("packed weights not read"));
  EXPECT_NE(second.model->weights().packed_cache, nullptr);

  const auto expected = packed_copies(*uncached.model);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(packed_copies(*first.model), expected);
  EXPECT_EQ(packed_copies(*second.model), expected);
  const auto logits = prompt_logits(uncached.model);
  EXPECT_EQ(prompt_logits(second.model), logits);
}

TEST_F(PackedWeightCacheTest, ADamagedCacheFileIsPackedAgainAndReplaced) {
  const auto uncached = load({});
  load(cache_directory());
  const auto file = cache_file();
  ASSERT_FALSE(file.empty());
  {  // flip one byte of the first matrix's packed bytes, which start on the second page
    std::fstream damaged(file, std::ios::in | std::ios::out | std::ios::binary);
    damaged.seekg(4096 + 100);
    char byte = 0;
    damaged.read(&byte, 1);
    damaged.seekp(4096 + 100);
    byte = static_cast<char>(byte ^ 0x5a);
    damaged.write(&byte, 1);
  }
  const auto after_damage = load(cache_directory());
  EXPECT_TRUE(after_damage.saw("packing weights")) << "a damaged cache file was used";
  EXPECT_EQ(after_damage.why_not_read(file), "damaged: the checksum of matrix 0 does not hold")
      << testing::PrintToString(after_damage.steps);
  EXPECT_EQ(packed_copies(*after_damage.model), packed_copies(*uncached.model));
  const auto repaired = load(cache_directory());
  EXPECT_FALSE(repaired.saw("packing weights")) << "the damaged file was not replaced";

  const auto written_size = fs::file_size(file);
  fs::resize_file(file, written_size - 4096);
  const auto truncated = load(cache_directory());
  EXPECT_TRUE(truncated.saw("packing weights")) << "a truncated file was used";
  EXPECT_EQ(truncated.why_not_read(file), "truncated: " + std::to_string(written_size - 4096) +
                                              " bytes where " + std::to_string(written_size) +
                                              " were written")
      << testing::PrintToString(truncated.steps);
}

TEST_F(PackedWeightCacheTest, AChangedModelFileDoesNotUseTheOldCache) {
  load(cache_directory());
  ASSERT_FALSE(load(cache_directory()).saw("packing weights"));
  // The same bytes written again: a new modification time (and inode) is a changed model.
  const auto replacement = directory_ / "replacement.gguf";
  fs::copy_file(model_path_, replacement);
  fs::last_write_time(replacement, fs::last_write_time(model_path_) + std::chrono::seconds(5));
  fs::rename(replacement, model_path_);
  const auto after_change = load(cache_directory());
  EXPECT_TRUE(after_change.saw("packing weights"));
  // Same size and header: what changed is the modification time and the inode.
  EXPECT_EQ(after_change.why_not_read(cache_file()),
            "written for another model file or for this one before it changed (its "
            "modification time and device or inode differ)")
      << testing::PrintToString(after_change.steps);
}

TEST_F(PackedWeightCacheTest, AnUnwritableDirectoryLeavesTheLoadAsWithoutACache) {
  const auto not_a_directory = directory_ / "plain-file";
  std::ofstream(not_a_directory) << "x";
  const auto uncached = load({});
  const auto loaded = load(not_a_directory / "cache");
  EXPECT_TRUE(loaded.saw("packing weights"));
  // The step names the directory it could not make.
  EXPECT_TRUE(loaded.saw("packed weights not cached: cannot create " +
                         (not_a_directory / "cache").string() + ": "))
      << testing::PrintToString(loaded.steps);
  EXPECT_EQ(packed_copies(*loaded.model), packed_copies(*uncached.model));
}

TEST(PackedWeightCacheDirectory, FollowsTheEnvironment) {
  test::ScopedEnvironment environment;
  environment.set("WEFT_PACKED_CACHE", "/srv/weft-packed");
  environment.set("XDG_CACHE_HOME", "/xdg");
  environment.set("HOME", "/home/someone");
  EXPECT_EQ(default_packed_cache_directory(), fs::path("/srv/weft-packed"));
  environment.set("WEFT_PACKED_CACHE", "off");
  EXPECT_EQ(default_packed_cache_directory(), fs::path());
  environment.set("WEFT_PACKED_CACHE", std::nullopt);
  EXPECT_EQ(default_packed_cache_directory(), fs::path("/xdg/weft/packed"));
  environment.set("XDG_CACHE_HOME", std::nullopt);
  EXPECT_EQ(default_packed_cache_directory(), fs::path("/home/someone/.cache/weft/packed"));
  environment.set("HOME", std::nullopt);
  EXPECT_EQ(default_packed_cache_directory(), fs::path());
}

}  // namespace
}  // namespace weft::model
