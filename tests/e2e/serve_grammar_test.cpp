// The inferd `grammar` field end to end: a native daemon's answers match the grammar, a
// grammar that does not parse is refused on arrival with its line and column, and a backend
// that cannot constrain generation refuses instead of ignoring it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "client/connection.hpp"
#include "grammar/grammar.hpp"
#include "support/bundled_model.hpp"
#include "support/daemon_process.hpp"
#include "support/frames.hpp"

namespace weft::testing {
namespace {

using nlohmann::json;

constexpr const char* kGrammar =
    R"(root ::= "{\"hero\": \"" [A-Z] [a-z]{1,10} "\", \"age\": " [1-9] [0-9]? "}")";

json read_generation_frame(client::Connection& connection) {
  auto line = connection.read_line(std::chrono::milliseconds(kPatience));
  if (!line) {
    ADD_FAILURE() << "no frame";
    return {};
  }
  return json::parse(*line);
}

json request_with_grammar(const std::string& id, const std::string& grammar) {
  return {{"id", id},
          {"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}},
          {"grammar", grammar}};
}

TEST(ServeGrammar, NativeAnswersMatchTheGrammar) {
  DaemonProcess::Options options;
  options.args = {"--backend", "native", "--model",   test::bundled_model_file(),
                  "--ctx",     "512",    "--threads", "1"};
  DaemonProcess daemon(options);
  auto client = daemon.connect();
  auto grammar = grammar::parse_gbnf(kGrammar);
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    auto request = user_request("g" + std::to_string(seed), "Once upon a time", 100);
    request.options.grammar = kGrammar;
    request.options.seed = seed;
    request.options.temperature = 1.0f;
    auto frames = client.generate(request);
    auto collected = collect_frames(frames);
    ASSERT_EQ(collected.terminal.type, client::Frame::Type::done) << collected.terminal.raw;
    EXPECT_TRUE(grammar::matches(*grammar, collected.token_text())) << collected.token_text();
  }
}

TEST(ServeGrammar, BadGrammarIsRefusedOnArrival) {
  DaemonProcess daemon;  // the stub: the check happens before any backend sees it
  daemon.connect().close();
  auto connection = client::Connection::open(daemon.infer_address());
  connection->write_all(request_with_grammar("bad", "root ::= \"a\"\nx ::= [b-").dump() + "\n");
  json frame = read_generation_frame(*connection);
  EXPECT_EQ(frame["type"], "error");
  EXPECT_EQ(frame["id"], "bad");
  EXPECT_EQ(frame["code"], "invalid_request");
  EXPECT_EQ(frame["message"],
            "'grammar' is not valid GBNF: grammar:2:7: unterminated character class");
}

TEST(ServeGrammar, StubBackendRefusesAGrammar) {
  DaemonProcess daemon;
  daemon.connect().close();
  auto connection = client::Connection::open(daemon.infer_address());
  connection->write_all(request_with_grammar("stub", "root ::= \"yes\"").dump() + "\n");
  json frame = read_generation_frame(*connection);
  EXPECT_EQ(frame["type"], "error");
  EXPECT_EQ(frame["code"], "invalid_request");
  EXPECT_EQ(frame["message"],
            "the stub backend does not support grammar (only the native "
            "backend does)");
}

}  // namespace
}  // namespace weft::testing
