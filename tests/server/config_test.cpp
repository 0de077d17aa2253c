#include "server/config.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "support/environment_lookup.hpp"
#include "weft/error.hpp"

namespace weft::server {
namespace {

TEST(ServeConfig, FlagsBeatEnvironmentBeatsFile) {
  auto file = settings_from_json_text(
      R"({"parallel": 2, "queue": 5, "tcp": "127.0.0.1:1", "log_level": "warn", "model": "f.gguf"})",
      "test.json");
  auto env =
      settings_from_environment(test::lookup_in({{"WEFT_PARALLEL", "3"}, {"WEFT_QUEUE", "6"}}));
  ServeSettings flags;
  flags.parallel = 4;
  auto config =
      finalize(file.overridden_by(env).overridden_by(flags), test::lookup_in({{"HOME", "/h"}}));
  EXPECT_EQ(config.parallel, 4u);                 // flag
  EXPECT_EQ(config.queue, 6u);                    // environment
  EXPECT_EQ(config.tcp, "127.0.0.1:1");           // file
  EXPECT_EQ(config.log_level, "warn");            // file
  EXPECT_EQ(config.model, "f.gguf");              // file
  EXPECT_EQ(config.runtime_dir, "/h/.weft/run");  // resolved per the spec
}

// The key is resolved per layer: a higher layer's key file beats a lower layer's inline key
// and a higher layer's inline key beats a lower layer's key file.
TEST(ServeConfig, TheApiKeyAndItsFileFollowTheLayerOrderTogether) {
  char path_template[] = "/tmp/weft-key-XXXXXX";
  int fd = ::mkstemp(path_template);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::string key_file = path_template;
  std::ofstream(key_file) << "from-the-file\n";
  const auto home = test::lookup_in({{"HOME", "/h"}});

  auto file_with_key = settings_from_json_text(R"({"api_key": "from-config"})", "test.json");
  ServeSettings flags_with_file;
  flags_with_file.api_key_file = key_file;
  EXPECT_EQ(finalize(file_with_key.overridden_by(flags_with_file), home).api_key, "from-the-file");

  auto env_with_file =
      settings_from_environment(test::lookup_in({{"WEFT_API_KEY_FILE", key_file}}));
  EXPECT_EQ(finalize(file_with_key.overridden_by(env_with_file), home).api_key, "from-the-file");

  auto file_with_file =
      settings_from_json_text(R"({"api_key_file": ")" + key_file + R"("})", "test.json");
  auto env_with_key = settings_from_environment(test::lookup_in({{"WEFT_API_KEY", "from-env"}}));
  EXPECT_EQ(finalize(file_with_file.overridden_by(env_with_key), home).api_key, "from-env");
  ServeSettings flags_with_key;
  flags_with_key.api_key = "from-flag";
  EXPECT_EQ(finalize(env_with_file.overridden_by(flags_with_key), home).api_key, "from-flag");

  // A layer that names neither leaves the lower layer's choice alone.
  ServeSettings flags_without_key;
  flags_without_key.parallel = 2;
  EXPECT_EQ(finalize(file_with_file.overridden_by(flags_without_key), home).api_key,
            "from-the-file");
  // Within one layer the inline key wins.
  auto both = settings_from_json_text(
      R"({"api_key": "inline", "api_key_file": ")" + key_file + R"("})", "test.json");
  EXPECT_EQ(finalize(both, home).api_key, "inline");
  std::filesystem::remove(key_file);
}

// An empty key used to turn TCP authentication off without a word, even over a key file
// named in the config file.
TEST(ServeConfig, AnEmptyApiKeyOrKeyFileIsAnError) {
  const auto home = test::lookup_in({{"HOME", "/h"}});
  ServeSettings flags;
  flags.api_key = "";
  EXPECT_THROW(finalize(flags, home), Error);
  auto file_with_file = settings_from_json_text(R"({"api_key_file": "/etc/key"})", "test.json");
  try {
    finalize(file_with_file.overridden_by(flags), home);
    ADD_FAILURE() << "an empty --api-key was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("api_key is empty"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(finalize(settings_from_json_text(R"({"api_key": ""})", "test.json"), home), Error);
  EXPECT_THROW(finalize(settings_from_json_text(R"({"api_key_file": ""})", "test.json"), home),
               Error);
}

TEST(ServeConfig, AKeyGivenInTwoLayersIsWarnedAboutNamingTheWinner) {
  auto file = settings_from_json_text(R"({"api_key_file": "/etc/key"})", "test.json");
  ServeSettings environment;
  ServeSettings flags;
  flags.api_key = "from-flag";
  auto warning = api_key_precedence_warning({{"the config file test.json", &file},
                                             {"the environment", &environment},
                                             {"the command line", &flags}});
  ASSERT_TRUE(warning.has_value());
  EXPECT_EQ(*warning,
            "the API key is given by the config file test.json (api_key_file) and the command "
            "line (api_key); the command line (api_key) wins");
  environment.api_key_file = "/run/key";
  warning = api_key_precedence_warning({{"the config file test.json", &file},
                                        {"the environment", &environment},
                                        {"the command line", &flags}});
  ASSERT_TRUE(warning.has_value());
  EXPECT_EQ(*warning,
            "the API key is given by the config file test.json (api_key_file), the environment "
            "(api_key_file) and the command line (api_key); the command line (api_key) wins");
  // One layer alone, or none: nothing to warn about.
  ServeSettings empty;
  EXPECT_FALSE(api_key_precedence_warning({{"the config file test.json", &file},
                                           {"the environment", &empty},
                                           {"the command line", &empty}}));
  EXPECT_FALSE(api_key_precedence_warning({{"the config file test.json", &empty}}));
}

TEST(ServeConfig, TheWriteTimeoutComesFromEveryLayerAndIsChecked) {
  EXPECT_EQ(finalize(ServeSettings{}).write_timeout, std::chrono::seconds(30));  // the default
  EXPECT_EQ(settings_from_environment(test::lookup_in({{"WEFT_WRITE_TIMEOUT", "2.5"}}))
                .write_timeout_seconds,
            2.5);
  EXPECT_EQ(settings_from_json_text(R"({"write_timeout": 3})", "c").write_timeout_seconds, 3.0);
  EXPECT_THROW(settings_from_json_text(R"({"write_timeout": "soon"})", "c"), Error);
  ServeSettings settings;
  for (double seconds : {0.0, -1.0, 86401.0}) {
    settings.write_timeout_seconds = seconds;
    EXPECT_THROW(finalize(settings), Error) << seconds;
  }
  settings.write_timeout_seconds = 0.25;
  EXPECT_EQ(finalize(settings).write_timeout, std::chrono::milliseconds(250));
}

TEST(ServeConfig, TheConnectionCapComesFromEveryLayerAndIsChecked) {
  EXPECT_EQ(finalize(ServeSettings{}).max_connections, 1000u);  // the default
  EXPECT_EQ(
      settings_from_environment(test::lookup_in({{"WEFT_MAX_CONNECTIONS", "12"}})).max_connections,
      12u);
  EXPECT_EQ(settings_from_json_text(R"({"max_connections": 7})", "c").max_connections, 7u);
  EXPECT_THROW(settings_from_json_text(R"({"max_connections": -1})", "c"), Error);
  ServeSettings settings;
  settings.max_connections = 0;
  EXPECT_THROW(finalize(settings), Error);
}

TEST(ServeConfig, TheDaemonWideQueuedBytesBudgetComesFromEveryLayerAndIsChecked) {
  EXPECT_EQ(finalize(ServeSettings{}).max_queued_bytes, uint64_t{1} << 30);  // 1 GiB
  EXPECT_EQ(settings_from_environment(test::lookup_in({{"WEFT_MAX_QUEUED_BYTES", "8388608"}}))
                .max_queued_bytes,
            8388608u);
  EXPECT_EQ(settings_from_json_text(R"({"max_queued_bytes": 2097152})", "c").max_queued_bytes,
            2097152u);
  EXPECT_THROW(settings_from_json_text(R"({"max_queued_bytes": "lots"})", "c"), Error);
  ServeSettings file;
  file.max_queued_bytes = 2097152;
  ServeSettings command_line;
  command_line.max_queued_bytes = 3145728;
  EXPECT_EQ(finalize(file.overridden_by(command_line)).max_queued_bytes, 3145728u);
  ServeSettings settings;
  settings.max_queued_bytes = 1048575;  // under 1 MiB: every connection would be cut off
  EXPECT_THROW(finalize(settings), Error);
  settings.max_queued_bytes = 1048576;
  EXPECT_EQ(finalize(settings).max_queued_bytes, 1048576u);
}

TEST(ServeConfig, ProgramSettingsComeFromEveryLayerAndAreChecked) {
  const auto defaults = finalize(ServeSettings{});
  EXPECT_EQ(defaults.programs_dir, "");  // no programs unless asked
  EXPECT_EQ(defaults.program_timeout, std::chrono::seconds(300));
  EXPECT_EQ(defaults.program_max_pages, 0u);
  EXPECT_EQ(defaults.program_max_contexts, 64u);
  EXPECT_EQ(defaults.max_programs, 4u);
  EXPECT_EQ(defaults.program_sandbox, "auto");

  const auto dir = std::filesystem::temp_directory_path().string();
  auto file = settings_from_json_text(R"({"programs": ")" + dir +
                                          R"(", "program_timeout": 2.5, "program_max_pages": 40,
                                          "program_max_contexts": 3, "max_programs": 2,
                                          "program_sandbox": "node"})",
                                      "c");
  auto config = finalize(file);
  EXPECT_EQ(config.programs_dir, std::filesystem::absolute(dir).lexically_normal().string());
  EXPECT_EQ(config.program_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(config.program_max_pages, 40u);
  EXPECT_EQ(config.program_max_contexts, 3u);
  EXPECT_EQ(config.max_programs, 2u);
  EXPECT_EQ(config.program_sandbox, "node");

  auto env = settings_from_environment(test::lookup_in({{"WEFT_PROGRAM_TIMEOUT", "7"},
                                                        {"WEFT_MAX_PROGRAMS", "9"},
                                                        {"WEFT_PROGRAM_MAX_CONTEXTS", "5"}}));
  auto layered = finalize(file.overridden_by(env));
  EXPECT_EQ(layered.program_timeout, std::chrono::seconds(7));
  EXPECT_EQ(layered.max_programs, 9u);
  EXPECT_EQ(layered.program_max_contexts, 5u);
  EXPECT_EQ(layered.program_max_pages, 40u);  // the file's

  ServeSettings bad;
  bad.programs = dir + "/no-such-directory-for-weft";
  EXPECT_THROW(finalize(bad), Error);
  for (double seconds : {0.0, -1.0, 86401.0}) {
    ServeSettings timeout;
    timeout.program_timeout_seconds = seconds;
    EXPECT_THROW(finalize(timeout), Error) << seconds;
  }
  ServeSettings no_contexts;
  no_contexts.program_max_contexts = 0;
  EXPECT_THROW(finalize(no_contexts), Error);
  ServeSettings no_programs;
  no_programs.max_programs = 0;
  EXPECT_THROW(finalize(no_programs), Error);
  ServeSettings sandbox;
  sandbox.program_sandbox = "chroot";
  EXPECT_THROW(finalize(sandbox), Error);
  EXPECT_THROW(settings_from_json_text(R"({"program_timeout": "long"})", "c"), Error);
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
  EXPECT_THROW(settings_from_environment(test::lookup_in({{"WEFT_QUEUE", "lots"}})), Error);
  EXPECT_THROW(settings_from_environment(test::lookup_in({{"WEFT_ALLOW_NON_LOOPBACK", "maybe"}})),
               Error);
}

TEST(ServeConfig, TheKvTypeComesFromEveryLayerAndIsChecked) {
  const auto home = test::lookup_in({{"HOME", "/h"}});
  EXPECT_EQ(finalize(ServeSettings{}, home).kv_type, "f16");
  auto file = settings_from_json_text(R"({"kv_type": "f32"})", "test.json");
  EXPECT_EQ(finalize(file, home).kv_type, "f32");
  auto env = settings_from_environment(test::lookup_in({{"WEFT_KV_TYPE", "q8_0"}}));
  EXPECT_EQ(finalize(file.overridden_by(env), home).kv_type, "q8_0");
  try {
    finalize(settings_from_json_text(R"({"kv_type": "q4_0"})", "test.json"), home);
    FAIL() << "an unknown KV cache type was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("kv_type must be f16, f32 or q8_0"), std::string::npos)
        << error.what();
  }
}

TEST(ServeConfig, PrefixCacheIsOnUnlessTurnedOff) {
  EXPECT_TRUE(finalize({}, test::lookup_in({{"HOME", "/h"}})).prefix_cache);
  auto file = settings_from_json_text(R"({"prefix_cache": false})", "test.json");
  EXPECT_FALSE(finalize(file, test::lookup_in({{"HOME", "/h"}})).prefix_cache);
  auto env = settings_from_environment(test::lookup_in({{"WEFT_PREFIX_CACHE", "1"}}));
  EXPECT_TRUE(finalize(file.overridden_by(env), test::lookup_in({{"HOME", "/h"}})).prefix_cache);
  EXPECT_THROW(settings_from_json_text(R"({"prefix_cache": "no"})", "c"), Error);
  EXPECT_THROW(settings_from_environment(test::lookup_in({{"WEFT_PREFIX_CACHE", "maybe"}})), Error);
}

TEST(ServeConfig, LookupSpeculationIsOffUnlessAskedAndChecked) {
  const auto home = test::lookup_in({{"HOME", "/h"}});
  const auto off = finalize({}, home);
  EXPECT_EQ(off.lookup, 0u);
  EXPECT_EQ(off.draft_tokens, 4u);
  auto file = settings_from_json_text(R"({"lookup": 3, "draft_tokens": 6})", "test.json");
  const auto on = finalize(file, home);
  EXPECT_EQ(on.lookup, 3u);
  EXPECT_EQ(on.draft_tokens, 6u);
  auto env = settings_from_environment(test::lookup_in({{"WEFT_LOOKUP", "4"}}));
  EXPECT_EQ(finalize(file.overridden_by(env), home).lookup, 4u);
  EXPECT_THROW(finalize(settings_from_json_text(R"({"lookup": 1})", "c"), home), Error);
  EXPECT_THROW(finalize(settings_from_json_text(R"({"lookup": 17})", "c"), home), Error);
  EXPECT_THROW(finalize(settings_from_json_text(R"({"draft_tokens": 0})", "c"), home), Error);
  EXPECT_THROW(settings_from_json_text(R"({"lookup": "yes"})", "c"), Error);
  EXPECT_THROW(settings_from_environment(test::lookup_in({{"WEFT_DRAFT_TOKENS", "x"}})), Error);
}

// The draft model is a string setting of every layer; it excludes prompt lookup, and a lower
// layer's lookup does not hide it (nor the other way round) without saying so.
TEST(ServeConfig, TheDraftModelComesFromAnyLayerAndExcludesLookup) {
  const auto home = test::lookup_in({{"HOME", "/h"}});
  EXPECT_EQ(finalize({}, home).draft, "");
  auto file = settings_from_json_text(R"({"draft": "small.gguf", "draft_tokens": 8})", "test.json");
  const auto from_file = finalize(file, home);
  EXPECT_EQ(from_file.draft, "small.gguf");
  EXPECT_EQ(from_file.draft_tokens, 8u);
  EXPECT_EQ(from_file.lookup, 0u);
  auto env = settings_from_environment(test::lookup_in({{"WEFT_DRAFT", "env.gguf"}}));
  EXPECT_EQ(finalize(file.overridden_by(env), home).draft, "env.gguf");
  ServeSettings flags;
  flags.draft = "flag.gguf";
  EXPECT_EQ(finalize(file.overridden_by(env).overridden_by(flags), home).draft, "flag.gguf");
  auto both = settings_from_json_text(R"({"draft": "small.gguf", "lookup": 3})", "c");
  try {
    finalize(both, home);
    ADD_FAILURE() << "draft and lookup together were accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("draft and lookup cannot be combined"),
              std::string::npos)
        << error.what();
  }
  EXPECT_THROW(settings_from_json_text(R"({"draft": 3})", "c"), Error);
}

TEST(ServeConfig, InferdCompatMovesTheRuntimeDirectoryToInferds) {
  const auto env = test::lookup_in({{"XDG_RUNTIME_DIR", "/run/user/7"}});
  auto plain = finalize({}, env);
  EXPECT_FALSE(plain.inferd_compat);
  EXPECT_EQ(plain.runtime_dir, "/run/user/7/weft");
  auto file = settings_from_json_text(R"({"inferd_compat": true})", "test.json");
  auto compat = finalize(file, env);
  EXPECT_TRUE(compat.inferd_compat);
  EXPECT_EQ(compat.runtime_dir, "/run/user/7/inferd");
  // An explicit directory still wins.
  file.runtime_dir = "/srv/mine";
  EXPECT_EQ(finalize(file, env).runtime_dir, "/srv/mine");
  auto from_env = settings_from_environment(test::lookup_in({{"WEFT_INFERD_COMPAT", "1"}}));
  EXPECT_TRUE(finalize(from_env, env).inferd_compat);
  EXPECT_THROW(settings_from_json_text(R"({"inferd_compat": "yes"})", "c"), Error);
}

TEST(ServeConfig, HttpIsOffUnlessAskedAndABareOneMeansTheDefaultAddress) {
  const auto home = test::lookup_in({{"HOME", "/h"}});
  auto off = finalize({}, home);
  EXPECT_EQ(off.http, "");
  EXPECT_EQ(off.http_body_limit, 8u << 20);
  EXPECT_EQ(off.models_dir, "/h/.local/share/weft/models");
  ServeSettings bare;
  bare.http = "";  // --http without a value
  EXPECT_EQ(finalize(bare, home).http, "127.0.0.1:11435");
  auto file = settings_from_json_text(
      R"({"http": "127.0.0.1:8080", "http_cors": "http://a.test, http://b.test",
          "http_body_limit": 4096, "models_dir": "/models"})",
      "test.json");
  auto config = finalize(file, home);
  EXPECT_EQ(config.http, "127.0.0.1:8080");
  EXPECT_EQ(config.http_cors_origins, (std::vector<std::string>{"http://a.test", "http://b.test"}));
  EXPECT_EQ(config.http_body_limit, 4096u);
  EXPECT_EQ(config.models_dir, "/models");
  EXPECT_EQ(finalize(settings_from_json_text(R"({"http": true})", "t"), home).http,
            "127.0.0.1:11435");
  auto env = settings_from_environment(test::lookup_in({{"WEFT_HTTP", "0"}}));
  EXPECT_EQ(finalize(file.overridden_by(env), home).http, "") << "the environment turns it off";
  auto xdg = test::lookup_in({{"HOME", "/h"}, {"XDG_DATA_HOME", "/data"}});
  EXPECT_EQ(finalize({}, xdg).models_dir, "/data/weft/models");
  EXPECT_THROW(settings_from_json_text(R"({"http": 1})", "c"), Error);
  EXPECT_THROW(finalize(settings_from_json_text(R"({"http_body_limit": 10})", "c"), home), Error);
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
  EXPECT_EQ(finalize(settings).auth_timeout, std::chrono::seconds(10));  // the default
  for (double seconds : {0.0, -1.0, 3601.0}) {
    settings.auth_timeout_seconds = seconds;
    EXPECT_THROW(finalize(settings), Error) << seconds;
  }
  settings.auth_timeout_seconds = 0.25;
  EXPECT_EQ(finalize(settings).auth_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(settings_from_environment(test::lookup_in({{"WEFT_AUTH_TIMEOUT", "2.5"}}))
                .auth_timeout_seconds,
            2.5);
  EXPECT_EQ(settings_from_json_text(R"({"auth_timeout": 3})", "c").auth_timeout_seconds, 3.0);
  EXPECT_THROW(settings_from_json_text(R"({"auth_timeout": "soon"})", "c"), Error);
}

TEST(ServeConfig, TheChatTemplateFileMustReadAndCompile) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("weft-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string good = (dir / "good.jinja").string();
  const std::string broken = (dir / "broken.jinja").string();
  std::ofstream(good) << "{% for m in messages %}{{ m.content }}{% endfor %}";
  std::ofstream(broken) << "{% for m in messages %}{{ m.content }}";

  auto file = settings_from_json_text(R"({"chat_template": "/elsewhere/t.jinja"})", "c");
  auto env = settings_from_environment(test::lookup_in({{"WEFT_CHAT_TEMPLATE", good}}));
  EXPECT_EQ(finalize(file.overridden_by(env)).chat_template, good);  // environment over file
  EXPECT_EQ(finalize(ServeSettings{}).chat_template, "");

  for (const std::string& path : {broken, (dir / "missing.jinja").string(), dir.string()}) {
    ServeSettings settings;
    settings.chat_template = path;
    try {
      finalize(settings);
      ADD_FAILURE() << "accepted " << path;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace weft::server
