#include "protocol/request_codec.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/protocol_spec.hpp"

namespace weft::protocol {
namespace {

using nlohmann::json;

json minimal_codec_request() {
  return {{"id", "r1"}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}};
}

DecodedRequest decode_request_ok(const json& request) {
  auto decoded = decode_request(request.dump());
  auto* ok = std::get_if<DecodedRequest>(&decoded);
  if (!ok) {
    auto* invalid = std::get_if<InvalidRequest>(&decoded);
    ADD_FAILURE() << "not accepted: " << request.dump() << " -> "
                  << (invalid ? invalid->message : "frame error");
    return {};
  }
  return *ok;
}

InvalidRequest decode_invalid(const json& request) {
  auto decoded = decode_request(request.dump());
  auto* invalid = std::get_if<InvalidRequest>(&decoded);
  if (!invalid) {
    ADD_FAILURE() << "expected invalid_request for " << request.dump();
    return {};
  }
  return *invalid;
}

TEST(RequestCodec, AppliesEveryDefaultOfTheSpecTable) {
  auto fields = testing::inferd_request_fields();
  auto request = decode_request_ok({{"messages", {{{"role", "user"}, {"content", "hi"}}}}});
  EXPECT_EQ(request.request.id, json::parse(fields.at("id").default_value).get<std::string>());
  const auto& options = request.request.options;
  EXPECT_FLOAT_EQ(*options.temperature, std::stof(fields.at("temperature").default_value));
  EXPECT_FLOAT_EQ(*options.top_p, std::stof(fields.at("top_p").default_value));
  EXPECT_EQ(*options.top_k, std::stoul(fields.at("top_k").default_value));
  EXPECT_EQ(options.max_tokens, std::stoul(fields.at("max_tokens").default_value));
  EXPECT_EQ(request.stream, fields.at("stream").default_value == "true");
  EXPECT_EQ(fields.at("image_token_budget").default_value, "absent");
  EXPECT_FALSE(request.image_token_budget.has_value());
  // The extensions are unset unless given: the backend's own defaults apply.
  EXPECT_TRUE(options.stop.empty());
  EXPECT_FALSE(options.seed || options.min_p || options.repeat_penalty ||
               options.presence_penalty || options.frequency_penalty);
}

TEST(RequestCodec, KeepsGivenValuesAndIgnoresUnknownFields) {
  json request = minimal_codec_request();
  request["temperature"] = 0;
  request["top_p"] = 0.5;
  request["top_k"] = 0;
  request["max_tokens"] = 4294967295u;
  request["stream"] = false;
  request["grammar"] = "";
  request["something_new"] = {{"nested", true}};
  auto decoded = decode_request_ok(request);
  EXPECT_EQ(decoded.request.id, "r1");
  EXPECT_FLOAT_EQ(*decoded.request.options.temperature, 0.0f);
  EXPECT_FLOAT_EQ(*decoded.request.options.top_p, 0.5f);
  EXPECT_EQ(*decoded.request.options.top_k, 0u);
  EXPECT_EQ(decoded.request.options.max_tokens, 4294967295u);
  EXPECT_FALSE(decoded.stream);
  ASSERT_EQ(decoded.request.messages.size(), 1u);
  EXPECT_EQ(decoded.request.messages[0].content, "hello");
}

// The spec's range for max_tokens starts at 0 (a request that generates nothing, e.g. to
// count or warm a prompt): 0 is kept, not refused and not replaced by the default.
TEST(RequestCodec, KeepsAMaxTokensOfZero) {
  json request = minimal_codec_request();
  request["max_tokens"] = 0;
  EXPECT_EQ(decode_request_ok(request).request.options.max_tokens, 0u);
}

TEST(RequestCodec, AcceptsEveryRoleOfTheSpecAndEveryImageTokenBudget) {
  for (const char* role : {"system", "user", "assistant"}) {
    json request = minimal_codec_request();
    request["messages"][0]["role"] = role;
    EXPECT_EQ(to_string(decode_request_ok(request).request.messages[0].role), role);
  }
  auto budgets = testing::image_token_budgets();
  ASSERT_FALSE(budgets.empty());
  for (unsigned budget : budgets) {
    json request = minimal_codec_request();
    request["image_token_budget"] = budget;
    EXPECT_EQ(decode_request_ok(request).image_token_budget, budget);
  }
}

TEST(RequestCodec, RefusesEachInvalidFieldWithItsIdAndName) {
  struct Case {
    const char* field;
    json value;
  };
  const std::vector<Case> cases = {
      {"messages", json::array()},
      {"messages", "hello"},
      {"messages", {{{"role", "tool"}, {"content", "x"}}}},
      {"messages", {{{"role", "User"}, {"content", "x"}}}},
      {"messages", {{{"role", "user"}}}},
      {"messages", {{{"role", "user"}, {"content", 5}}}},
      {"messages", {"not an object"}},
      {"top_k", -1},
      {"top_k", 4294967296u},
      {"top_k", 1.5},
      {"max_tokens", -5},
      {"max_tokens", 4294967296u},
      {"max_tokens", "10"},
      {"temperature", "hot"},
      {"temperature", 1e300},  // beyond float's range: refused, not cast
      {"top_p", -1e39},
      {"min_p", 1e300},
      {"top_p", true},
      {"stream", "yes"},
      {"image_token_budget", 100},
      {"image_token_budget", 0},
      {"grammar", "root ::= \"a"},
      {"grammar", 7},
      {"stop", "END"},
      {"stop", {1, 2}},
      {"seed", -1},
      {"min_p", 2.0},
      {"repeat_penalty", "high"},
      {"presence_penalty", json::object()},
      {"frequency_penalty", json::array()},
  };
  for (const auto& c : cases) {
    json request = minimal_codec_request();
    request[c.field] = c.value;
    auto invalid = decode_invalid(request);
    EXPECT_EQ(invalid.id, "r1") << c.field;
    EXPECT_NE(invalid.message.find(c.field), std::string::npos)
        << c.field << ": " << invalid.message;
  }
  json missing = {{"id", "m"}};
  EXPECT_EQ(decode_invalid(missing).id, "m");
}

TEST(RequestCodec, ReadsAGrammarAndChecksItAtEntry) {
  json request = minimal_codec_request();
  request["grammar"] = "root ::= \"yes\" | \"no\"";
  EXPECT_EQ(decode_request_ok(request).request.options.grammar, "root ::= \"yes\" | \"no\"");
  request["grammar"] = "root ::= \"yes\"\nother ::= missing";
  EXPECT_EQ(decode_invalid(request).message,
            "'grammar' is not valid GBNF: grammar:2:11: undefined rule 'missing'");
  request["grammar"] = "";
  EXPECT_EQ(decode_request_ok(request).request.options.grammar, "");
}

TEST(RequestCodec, ReadsTheExtensions) {
  json request = minimal_codec_request();
  request["stop"] = {"END", "\n\n"};
  request["seed"] = 18446744073709551615ull;
  request["min_p"] = 0.05;
  request["repeat_penalty"] = 1.1;
  request["presence_penalty"] = -0.5;
  request["frequency_penalty"] = 0.25;
  auto options = decode_request_ok(request).request.options;
  EXPECT_EQ(options.stop, (std::vector<std::string>{"END", "\n\n"}));
  EXPECT_EQ(*options.seed, 18446744073709551615ull);
  EXPECT_FLOAT_EQ(*options.min_p, 0.05f);
  EXPECT_FLOAT_EQ(*options.repeat_penalty, 1.1f);
  EXPECT_FLOAT_EQ(*options.presence_penalty, -0.5f);
  EXPECT_FLOAT_EQ(*options.frequency_penalty, 0.25f);
}

TEST(RequestCodec, NonStringIdIsRefusedWithAnEmptyId) {
  json request = minimal_codec_request();
  request["id"] = 42;
  auto invalid = decode_invalid(request);
  EXPECT_EQ(invalid.id, "");
  EXPECT_NE(invalid.message.find("'id'"), std::string::npos);
}

TEST(RequestCodec, FramesThatAreNotJsonObjectsAreFrameErrors) {
  for (const char* line :
       {"", "not json", "{\"id\":", "[1,2]", "42", "\"text\"", "null", "{\"id\":\"a\"} trailing"}) {
    EXPECT_TRUE(std::holds_alternative<UnparseableFrame>(decode_request(line))) << line;
  }
}

TEST(RequestCodec, RecognisesTheAuthFrame) {
  auto decoded = decode_request(R"({"type":"auth","key":"s3cret"})");
  ASSERT_TRUE(std::holds_alternative<AuthFrame>(decoded));
  EXPECT_EQ(std::get<AuthFrame>(decoded).key, "s3cret");
}

// The daemon answers such a line where no auth is needed, instead of dropping it unanswered.
TEST(RequestCodec, AnAuthFrameThatIsAlsoARequestSaysSo) {
  auto bare = decode_request(R"({"type":"auth","key":"s3cret"})");
  ASSERT_TRUE(std::holds_alternative<AuthFrame>(bare));
  EXPECT_FALSE(std::get<AuthFrame>(bare).request_id.has_value());
  auto with_id =
      decode_request(R"({"type":"auth","id":"r1","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(std::holds_alternative<AuthFrame>(with_id));
  EXPECT_EQ(std::get<AuthFrame>(with_id).request_id, std::optional<std::string>("r1"));
  auto messages_only = decode_request(R"({"type":"auth","messages":[]})");
  ASSERT_TRUE(std::holds_alternative<AuthFrame>(messages_only));
  EXPECT_EQ(std::get<AuthFrame>(messages_only).request_id, std::optional<std::string>(""));
}

TEST(RequestCodec, EncodeThenDecodeKeepsTheRequest) {
  GenerationRequest request;
  request.id = "round trip ✓";
  request.messages = {{Role::system, "be brief"}, {Role::user, "hi\nthere"}};
  request.options.max_tokens = 12;
  request.options.temperature = 0.25f;
  request.options.top_k = 3;
  request.options.stop = {"."};
  request.options.seed = 7;
  std::string line = encode_request(request);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto decoded = decode_request_ok(json::parse(line));
  EXPECT_EQ(decoded.request.id, request.id);
  ASSERT_EQ(decoded.request.messages.size(), 2u);
  EXPECT_EQ(decoded.request.messages[1].content, "hi\nthere");
  EXPECT_EQ(decoded.request.options.max_tokens, 12u);
  EXPECT_FLOAT_EQ(*decoded.request.options.temperature, 0.25f);
  EXPECT_EQ(*decoded.request.options.top_k, 3u);
  EXPECT_EQ(decoded.request.options.stop, request.options.stop);
  EXPECT_EQ(*decoded.request.options.seed, 7u);
}

ProgramRequest decode_program_ok(const json& request) {
  auto decoded = decode_request(request.dump());
  auto* ok = std::get_if<ProgramRequest>(&decoded);
  if (!ok) {
    auto* invalid = std::get_if<InvalidRequest>(&decoded);
    ADD_FAILURE() << "not a program request: " << request.dump() << " -> "
                  << (invalid ? invalid->message : "another kind of frame");
    return {};
  }
  return *ok;
}

ProgramInput decode_input(const json& line) {
  auto decoded = decode_request(line.dump());
  auto* input = std::get_if<ProgramInput>(&decoded);
  if (!input) {
    ADD_FAILURE() << "not a program message: " << line.dump();
    return {};
  }
  return *input;
}

TEST(RequestCodec, AMessageLineIsInputForAProgramNotARequest) {
  auto text = decode_input({{"type", "message"}, {"id", "p1"}, {"content", "hello"}});
  EXPECT_EQ(text.id, "p1");
  EXPECT_EQ(text.content, "hello");
  EXPECT_FALSE(text.end);
  EXPECT_EQ(text.error, "");
  auto object = decode_input({{"type", "message"}, {"id", "p1"}, {"content", {{"a", 1}}}});
  EXPECT_EQ(json::parse(object.content), json({{"a", 1}}));
  auto end = decode_input({{"type", "message"}, {"id", "p1"}, {"end", true}});
  EXPECT_TRUE(end.end);
  EXPECT_EQ(end.error, "");

  EXPECT_NE(decode_input({{"type", "message"}, {"content", "x"}}).error, "");
  EXPECT_NE(decode_input({{"type", "message"}, {"id", ""}, {"content", "x"}}).error, "");
  EXPECT_NE(decode_input({{"type", "message"}, {"id", 7}, {"content", "x"}}).error, "");
  EXPECT_NE(decode_input({{"type", "message"}, {"id", "p"}}).error, "");
  EXPECT_NE(decode_input({{"type", "message"}, {"id", "p"}, {"end", false}}).error, "");
  EXPECT_NE(decode_input({{"type", "message"}, {"id", "p"}, {"end", true}, {"content", "x"}}).error,
            "");
}

TEST(RequestCodec, AProgramRequestCarriesItsNameInputAndSeed) {
  auto program = decode_program_ok(
      {{"id", "p1"}, {"program", "best_of-N_2"}, {"input", {{"n", 4}, {"s", "x"}}}, {"seed", 9}});
  EXPECT_EQ(program.id, "p1");
  EXPECT_EQ(program.name, "best_of-N_2");
  EXPECT_EQ(json::parse(program.input_json), json({{"n", 4}, {"s", "x"}}));
  EXPECT_EQ(program.seed, 9u);

  auto bare = decode_program_ok({{"program", "p"}, {"input", nullptr}});
  EXPECT_EQ(bare.id, "");
  EXPECT_EQ(json::parse(bare.input_json), json::object());  // absent or null: {}
  EXPECT_FALSE(bare.seed);
  EXPECT_EQ(json::parse(decode_program_ok({{"program", "p"}, {"input", {1, 2}}}).input_json),
            json({1, 2}));
}

TEST(RequestCodec, AProgramRequestCarriesItsFilesDecodedInOrder) {
  // Base64 by hand (RFC 4648): "aGVsbG8=" is "hello", "AAEC/w==" the bytes 0, 1, 2, 255.
  auto program = decode_program_ok({{"program", "p"}, {"files", {"aGVsbG8=", "AAEC/w==", ""}}});
  ASSERT_EQ(program.files.size(), 3u);
  EXPECT_EQ(program.files[0], "hello");
  EXPECT_EQ(program.files[1], std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(program.files[2], "");
  EXPECT_TRUE(decode_program_ok({{"program", "p"}}).files.empty());
}

TEST(RequestCodec, ProgramFilesThatAreNotBase64OrTooLargeAreRefusedNamingTheEntry) {
  const auto refusal = [](const json& files) {
    return decode_invalid({{"id", "f"}, {"program", "p"}, {"files", files}}).message;
  };
  EXPECT_NE(refusal("aGVsbG8=").find("'files' must be an array"), std::string::npos);
  EXPECT_NE(refusal({"aGVsbG8=", 3}).find("'files[1]' must be a base64 string"), std::string::npos);
  for (const char* bad : {"aGVsbG8", "aGVs bG8=", "a===", "aGVsbG8*", "aGVsbG9="}) {
    EXPECT_NE(refusal({"aGVsbG8=", bad}).find("'files[1]' is not base64"), std::string::npos)
        << bad << " -> " << refusal({"aGVsbG8=", bad});
  }
  // One byte past the limit per file (base64 of n bytes is 4·ceil(n/3) characters).
  const auto base64_of_zeros = [](size_t bytes) {
    std::string text((bytes + 2) / 3 * 4, 'A');
    if (bytes % 3 == 1) text.replace(text.size() - 2, 2, "==");
    if (bytes % 3 == 2) text.back() = '=';
    return text;
  };
  EXPECT_EQ(
      decode_program_ok({{"program", "p"}, {"files", {base64_of_zeros(kMaxProgramFileBytes)}}})
          .files[0]
          .size(),
      kMaxProgramFileBytes);
  EXPECT_NE(refusal({"", base64_of_zeros(kMaxProgramFileBytes + 1)})
                .find("'files[1]' is larger than 16777216 bytes"),
            std::string::npos);
  // Three files each within the limit, past the limit per request together.
  const auto third = base64_of_zeros(kMaxProgramFilesBytes / 3 + 1);
  EXPECT_NE(refusal({third, third, third})
                .find("more than 33554432 bytes (the limit per request) at "
                      "'files[2]'"),
            std::string::npos)
      << refusal({third, third, third});
}

TEST(RequestCodec, AProgramNameIsNeverAPath) {
  for (const json& name :
       {json("../x"), json("a/b"), json("/etc/passwd"), json(""), json("x.js"), json("p q"),
        json("caf\u00e9"), json(std::string(129, 'a')), json(3), json::array()}) {
    auto invalid = decode_invalid({{"id", "bad"}, {"program", name}});
    EXPECT_EQ(invalid.id, "bad");
    EXPECT_NE(invalid.message.find("'program' must be a name"), std::string::npos)
        << name.dump() << " -> " << invalid.message;
  }
  EXPECT_EQ(decode_program_ok({{"program", std::string(128, 'a')}}).name.size(), 128u);
}

TEST(RequestCodec, AProgramRequestIsCheckedLikeAnyOther) {
  EXPECT_NE(
      decode_invalid(
          {{"id", "both"}, {"program", "p"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}})
          .message.find("not both"),
      std::string::npos);
  EXPECT_NE(decode_invalid({{"id", 5}, {"program", "p"}}).message.find("'id' must be a string"),
            std::string::npos);
  EXPECT_NE(decode_invalid({{"program", "p"}, {"seed", -1}}).message.find("'seed'"),
            std::string::npos);
  // Without `program` (or with a null one) a line is a generation request, as before.
  EXPECT_EQ(decode_request_ok({{"id", "g"},
                               {"program", nullptr},
                               {"messages", {{{"role", "user"}, {"content", "hi"}}}}})
                .request.id,
            "g");
}

}  // namespace
}  // namespace weft::protocol
