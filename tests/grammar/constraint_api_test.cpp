// The public constraint API (weft/constraint.hpp, weft/sampler.hpp) driving a Context step by
// step: sampled texts satisfy every constraint of a set (checked with nlohmann-json and PCRE2,
// not with weft's grammar engine), the set's mask is the AND of its members' masks, accepts
// are all or nothing, rollback restores the mask, and misuse gets a clear weft::Error.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "grammar/pcre2_reference.hpp"
#include "support/shared_files.hpp"
#include "weft/constraint.hpp"
#include "weft/context.hpp"
#include "weft/error.hpp"
#include "weft/sampler.hpp"

namespace weft {
namespace {

std::shared_ptr<ContextRuntime> open_runtime(const std::string& model) {
  return ContextRuntime::open({.model_path = test::shared_path(model).string(),
                               .context_length = 256,
                               .threads = 2,
                               .kv_pages = 32});
}

// The id of the token whose text is exactly `text`.
int32_t token_for(const ContextRuntime& runtime, const std::string& text) {
  for (int32_t id = 0; id < runtime.vocabulary_size(); ++id) {
    const int32_t one[] = {id};
    if (runtime.decode(one) == text) return id;
  }
  ADD_FAILURE() << "no token spells '" << text << "'";
  return -1;
}

std::vector<uint64_t> and_of_words(const TokenMask& a, const TokenMask& b) {
  std::vector<uint64_t> words(a.words().begin(), a.words().end());
  for (size_t i = 0; i < words.size(); ++i) words[i] &= b.words()[i];
  return words;
}

// A JSON string of at most 8 characters AND lowercase letters and spaces only: no prefix both
// accept is a dead end, so every sampled generation completes.
const char* const kSchema = R"({"type": "string", "maxLength": 8})";
const char* const kPattern = R"("[a-z ]*")";

void expect_sampled_texts_satisfy_both(const std::string& model, int seeds) {
  auto runtime = open_runtime(model);
  for (int seed = 1; seed <= seeds; ++seed) {
    Context context = runtime->create();
    context.append_text("Once upon a time");
    ConstraintSet both;
    both.add(Constraint::json_schema(*runtime, kSchema));
    both.add(Constraint::regex(*runtime, kPattern));
    // The same constraints on their own, fed the same tokens, for the AND check.
    Constraint schema_alone = Constraint::json_schema(*runtime, kSchema);
    Constraint pattern_alone = Constraint::regex(*runtime, kPattern);
    Sampler sampler({.temperature = 1.0f,
                     .top_k = 0,
                     .top_p = 1.0f,
                     .min_p = 0.0f,
                     .seed = static_cast<uint64_t>(seed)});
    std::vector<int32_t> generated;
    for (int step = 0; step < 40 && !both.ended(); ++step) {
      TokenMask mask = both.mask();
      ASSERT_EQ(mask.vocabulary_size(), runtime->vocabulary_size());
      ASSERT_EQ(std::vector<uint64_t>(mask.words().begin(), mask.words().end()),
                and_of_words(schema_alone.mask(), pattern_alone.mask()))
          << "seed " << seed << " step " << step;
      const int32_t token = sampler.sample(context.logits(), mask);
      ASSERT_TRUE(mask.allows(token));
      ASSERT_TRUE(both.accept(token));
      ASSERT_TRUE(schema_alone.accept(token));
      ASSERT_TRUE(pattern_alone.accept(token));
      if (both.ended()) break;
      generated.push_back(token);
      sampler.accept(token);
      context.append({&token, 1});
    }
    ASSERT_TRUE(both.ended()) << "seed " << seed << ": " << runtime->decode(generated);
    const std::string text = runtime->decode(generated);
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    ASSERT_TRUE(parsed.is_string()) << "seed " << seed << ": " << text;
    EXPECT_LE(parsed.get<std::string>().size(), 8u) << text;
    EXPECT_TRUE(
        grammar::testing::Pcre2Reference(std::string("^") + kPattern + "$").finds_match_in(text))
        << text;
  }
}

TEST(ConstraintApi, SampledTextsSatisfyEveryConstraintOnStories260k) {
  expect_sampled_texts_satisfy_both("models/stories260K/stories260K-f32.gguf", 12);
}

TEST(ConstraintApi, SampledTextsSatisfyEveryConstraintOnTheQwen2Fixture) {
  expect_sampled_texts_satisfy_both("fixtures/qwen2/qwen2-f32.gguf", 4);
}

TEST(ConstraintApi, GreedySamplingUnderAMaskPicksTheBestAllowedToken) {
  auto runtime = open_runtime("models/stories260K/stories260K-f32.gguf");
  Context context = runtime->create();
  context.append_text("Once upon a time");
  Constraint digits = Constraint::regex(*runtime, "[0-9]+");
  TokenMask mask = digits.mask();
  auto logits = context.logits();
  int32_t best = -1;
  for (int32_t id = 0; id < static_cast<int32_t>(logits.size()); ++id) {
    if (mask.allows(id) && (best < 0 || logits[id] > logits[best])) best = id;
  }
  ASSERT_GE(best, 0);
  Sampler greedy({.temperature = 0.0f});
  EXPECT_EQ(greedy.sample(logits, mask), best);
  const int32_t one[] = {best};
  EXPECT_TRUE(grammar::testing::Pcre2Reference("^[0-9]+$").finds_match_in(runtime->decode(one)));
}

TEST(ConstraintApi, AnAcceptIsAllOrNothing) {
  auto runtime = open_runtime("models/stories260K/stories260K-f32.gguf");
  const int32_t one = token_for(*runtime, "1");
  const int32_t two = token_for(*runtime, "2");
  ConstraintSet set;
  set.add(Constraint::regex(*runtime, "[0-9]"));
  set.add(Constraint::regex(*runtime, "1"));
  EXPECT_FALSE(set.accept(two));  // the first allows it, the second does not
  // Had the first advanced, it would be complete and the AND would allow nothing but an end.
  EXPECT_TRUE(set.mask().allows(one));
  EXPECT_FALSE(set.mask().allows(two));
  EXPECT_TRUE(set.accept(one));
  EXPECT_TRUE(set.can_end());
}

TEST(ConstraintApi, RollbackRestoresTheMaskOfTheEarlierPosition) {
  auto runtime = open_runtime("models/stories260K/stories260K-f32.gguf");
  Constraint constraint = Constraint::regex(*runtime, "[0-9]{2}x");
  ASSERT_TRUE(constraint.accept(token_for(*runtime, "1")));
  const TokenMask after_one = constraint.mask();
  ASSERT_TRUE(constraint.accept(token_for(*runtime, "2")));
  EXPECT_NE(constraint.mask().count(), after_one.count());
  constraint.rollback(1);
  EXPECT_EQ(constraint.accepted_tokens(), 1u);
  const TokenMask restored = constraint.mask();
  EXPECT_EQ(std::vector<uint64_t>(restored.words().begin(), restored.words().end()),
            std::vector<uint64_t>(after_one.words().begin(), after_one.words().end()));
}

template <typename Call>
std::string constraint_error_of(Call&& call) {
  try {
    call();
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::invalid_request) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no weft::Error";
  return "";
}

TEST(ConstraintApi, MisuseGetsAClearError) {
  auto runtime = open_runtime("models/stories260K/stories260K-f32.gguf");
  EXPECT_NE(constraint_error_of([&] {
              Constraint::gbnf(*runtime, "root ::= (\"a\"");
            }).find("grammar:1:"),
            std::string::npos);
  EXPECT_NE(
      constraint_error_of([&] { Constraint::json_schema(*runtime, "{"); }).find("not valid JSON"),
      std::string::npos);
  EXPECT_NE(constraint_error_of([&] {
              Constraint::json_schema(*runtime, R"({"type":"string","contentEncoding":"x"})");
            }).find("contentEncoding"),
            std::string::npos);
  EXPECT_NE(constraint_error_of([&] { ConstraintSet().mask(); }).find("no constraint"),
            std::string::npos);
  TokenMask small(10);
  TokenMask large(20);
  EXPECT_NE(constraint_error_of([&] { small &= large; }).find("10"), std::string::npos);
  std::vector<float> logits(11, 0.0f);
  EXPECT_NE(constraint_error_of([&] { small.apply(logits); }).find("11 logits"), std::string::npos);
  EXPECT_NE(
      constraint_error_of([&] { Sampler().sample(logits, TokenMask(11, false)); }).find("no token"),
      std::string::npos);
  EXPECT_NE(constraint_error_of([&] { small.set(10, true); }).find("outside"), std::string::npos);
  const int32_t outside[] = {static_cast<int32_t>(runtime->vocabulary_size())};
  EXPECT_NE(constraint_error_of([&] { (void)runtime->decode(outside); }).find("outside"),
            std::string::npos);
}

TEST(ConstraintApi, TokenMaskKeepsBitsPastTheVocabularyClear) {
  TokenMask all(70);
  EXPECT_EQ(all.count(), 70);
  EXPECT_TRUE(all.allows(69));
  EXPECT_FALSE(all.allows(70));
  EXPECT_FALSE(all.allows(-1));
  TokenMask from_words(70, {~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}});
  EXPECT_EQ(from_words.count(), 70);
  EXPECT_EQ(from_words.words().size(), 2u);
  std::vector<float> logits(70, 1.0f);
  TokenMask odd(70, false);
  for (int32_t id = 1; id < 70; id += 2) odd.set(id, true);
  odd.apply(logits);
  for (int32_t id = 0; id < 70; ++id) EXPECT_EQ(std::isinf(logits[id]), id % 2 == 0) << id;
}

}  // namespace
}  // namespace weft
