#include "server/config.hpp"

#include <gtest/gtest.h>

#include <map>

#include "weft/error.hpp"

namespace weft::server {
namespace {

protocol::EnvironmentLookup lookup_in(std::map<std::string, std::string> values) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(values));
  return [shared](const char* name) -> const char* {
    auto found = shared->find(name);
    return found == shared->end() ? nullptr : found->second.c_str();
  };
}

TEST(ServeConfig, FlagsBeatEnvironmentBeatsFile) {
  auto file = settings_from_json_text(
      R"({"parallel": 2, "queue": 5, "tcp": "127.0.0.1:1", "log_level": "warn", "model": "f.gguf"})",
      "test.json");
  auto env = settings_from_environment(lookup_in({{"WEFT_PARALLEL", "3"}, {"WEFT_QUEUE", "6"}}));
  ServeSettings flags;
  flags.parallel = 4;
  auto config = finalize(file.overridden_by(env).overridden_by(flags), lookup_in({{"HOME", "/h"}}));
  EXPECT_EQ(config.parallel, 4u);                 // flag
  EXPECT_EQ(config.queue, 6u);                    // environment
  EXPECT_EQ(config.tcp, "127.0.0.1:1");           // file
  EXPECT_EQ(config.log_level, "warn");            // file
  EXPECT_EQ(config.model, "f.gguf");              // file
  EXPECT_EQ(config.runtime_dir, "/h/.weft/run");  // resolved per the spec
}

TEST(ServeConfig, UnknownKeysAndWrongTypesNameTheKey) {
  try {
    settings_from_json_text(R"({"paralel": 2})", "cfg.json");
    FAIL() << "accepted an unknown key";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("cfg.json: 'paralel'"), std::string::npos);
  }
  EXPECT_THROW(settings_from_json_text(R"({"queue": "many"})", "c"), Error);
  EXPECT_THROW(settings_from_json_text(R"({"queue": -1})", "c"), Error);
  EXPECT_THROW(settings_from_json_text("[1]", "c"), Error);
  EXPECT_THROW(settings_from_json_text("{", "c"), Error);
  EXPECT_THROW(settings_from_environment(lookup_in({{"WEFT_QUEUE", "lots"}})), Error);
  EXPECT_THROW(settings_from_environment(lookup_in({{"WEFT_ALLOW_NON_LOOPBACK", "maybe"}})), Error);
}

TEST(ServeConfig, PrefixCacheIsOnUnlessTurnedOff) {
  EXPECT_TRUE(finalize({}, lookup_in({{"HOME", "/h"}})).prefix_cache);
  auto file = settings_from_json_text(R"({"prefix_cache": false})", "test.json");
  EXPECT_FALSE(finalize(file, lookup_in({{"HOME", "/h"}})).prefix_cache);
  auto env = settings_from_environment(lookup_in({{"WEFT_PREFIX_CACHE", "1"}}));
  EXPECT_TRUE(finalize(file.overridden_by(env), lookup_in({{"HOME", "/h"}})).prefix_cache);
  EXPECT_THROW(settings_from_json_text(R"({"prefix_cache": "no"})", "c"), Error);
  EXPECT_THROW(settings_from_environment(lookup_in({{"WEFT_PREFIX_CACHE", "maybe"}})), Error);
}

TEST(ServeConfig, ChecksRanges) {
  ServeSettings settings;
  settings.parallel = 0;
  EXPECT_THROW(finalize(settings), Error);
  settings.parallel = 1;
  settings.log_level = "loud";
  EXPECT_THROW(finalize(settings), Error);
  settings.log_level = "debug";
  settings.drain_timeout_seconds = -1;
  EXPECT_THROW(finalize(settings), Error);
  settings.drain_timeout_seconds = 1.5;
  EXPECT_EQ(finalize(settings).drain_timeout, std::chrono::milliseconds(1500));
}

}  // namespace
}  // namespace weft::server
