// The native backend's prefix cache through the backend interface: a repeated prompt reuses
// its full KV pages (reported in Usage::cached_prompt_tokens) and produces the same text as a
// backend loaded with the cache turned off; LoadOptions::prefix_cache = false reuses nothing.
#include <gtest/gtest.h>

#include <string>

#include "backend/native_backend.hpp"
#include "support/reference_logits.hpp"

namespace weft {
namespace {

struct Answer {
  std::string text;
  Usage usage;
};

Answer ask(backend::NativeBackend& backend, const std::string& prompt) {
  GenerationRequest request;
  request.messages = {{Role::user, prompt}};
  request.raw_prompt = true;
  request.options.max_tokens = 16;
  request.options.temperature = 0.0f;
  auto stream = backend.generate(request);
  auto result = collect(stream);
  const auto* done = std::get_if<DoneEvent>(&result.terminal);
  EXPECT_NE(done, nullptr) << "the generation failed";
  return {result.text, done ? done->usage : Usage{}};
}

std::unique_ptr<backend::NativeBackend> load_llama_fixture(bool prefix_cache) {
  // Reference kernels and an F32 cache: reusing pages then changes no logit at all.
  backend::NativeConfig config;
  config.kernels = tensor::KernelChoice::reference;
  config.kv_type = tensor::ElementType::F32;
  auto backend = std::make_unique<backend::NativeBackend>(config);
  for (const auto& fixture : test::float32_fixture_models()) {
    if (fixture.arch != "llama") continue;
    LoadOptions load;
    load.model_path = fixture.gguf.string();
    load.threads = 2;
    load.prefix_cache = prefix_cache;
    backend->load(load);
  }
  return backend;
}

void expect_pool_returns_to_zero(backend::NativeBackend& backend) {
  auto& scheduler = *backend.scheduler();
  scheduler.sync();
  EXPECT_EQ(scheduler.stats().pages_in_use, scheduler.stats().pages_cached);
  scheduler.clear_prefix_cache();
  EXPECT_EQ(scheduler.stats().pages_in_use, 0);
}

TEST(NativePrefixCache, RepeatedPromptReusesItsPagesAndAnswersTheSame) {
  auto cached = load_llama_fixture(true);
  auto plain = load_llama_fixture(false);
  ASSERT_NE(cached->scheduler(), nullptr) << "no llama F32 fixture";
  // A long "system prompt": the fixture's sentence, four times.
  const auto* tokenizer = cached->tokenizer();
  const auto ids = test::read_token_ids(test::float32_fixture_models().front().reference(
      "tokens.txt"));  // every fixture has the same 32-token prompt
  std::string prompt;
  for (int i = 0; i < 4; ++i) prompt += tokenizer->decode(ids);

  const auto expected = ask(*plain, prompt);
  const auto first = ask(*cached, prompt);
  const auto second = ask(*cached, prompt);
  EXPECT_EQ(first.text, expected.text);
  EXPECT_EQ(second.text, expected.text);
  EXPECT_EQ(first.usage.cached_prompt_tokens, 0u);
  const uint32_t prompt_tokens = second.usage.prompt_tokens;
  ASSERT_GT(prompt_tokens, 64u);
  // Every full 16-token page but never the last prompt token.
  EXPECT_EQ(second.usage.cached_prompt_tokens, (prompt_tokens - 1) / 16 * 16);
  EXPECT_EQ(ask(*plain, prompt).usage.cached_prompt_tokens, 0u);

  expect_pool_returns_to_zero(*cached);
  expect_pool_returns_to_zero(*plain);
}

}  // namespace
}  // namespace weft
