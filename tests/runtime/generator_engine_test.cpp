// Generators driven by the real engine, the way the native backend and the scheduler will
// drive them (docs/sampling.md): two stories260K requests share every forward pass, their
// prompts go in in chunks beside the other's decodes, and each streams exactly llama.cpp's
// 200-token greedy continuation (../shared/models/stories260K/reference-llamacpp).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "gguf/gguf_file.hpp"
#include "model/model.hpp"
#include "runtime/engine.hpp"
#include "runtime/generator.hpp"
#include "support/shared_files.hpp"
#include "tokenizer/tokenizer.hpp"

namespace weft::runtime {
namespace {

struct Request {
  std::string prompt;
  std::string reference_file;
};

struct Live {
  GenerationStream stream;
  Generator generator;
  kv::KvSequence sequence;
};

// One step of the loop: every live sequence's pending input (at most `chunk` tokens of it)
// goes into one forward pass; the rows that complete a sequence's input ask for logits.
void step(Engine& engine, std::vector<Live>& live, size_t chunk, SamplingScratch& scratch) {
  std::vector<ForwardRow> rows;
  std::vector<Generator*> owners;
  for (auto& entry : live) {
    auto& generator = entry.generator;
    if (generator.finished()) continue;
    auto input = generator.pending_input();
    size_t n = std::min(input.size(), chunk);
    for (size_t i = 0; i < n; ++i) {
      ForwardRow row;
      row.sequence = &entry.sequence;
      row.token = input[i];
      row.position = generator.position() + static_cast<int64_t>(i);
      rows.push_back(row);
    }
    generator.consume_input(n);
    if (generator.needs_logits()) {
      rows.back().want_logits = true;
      owners.push_back(&generator);
    }
  }
  ForwardOutputs outputs;
  engine.forward(rows, outputs);
  ASSERT_EQ(outputs.logit_rows.size(), owners.size());
  for (size_t i = 0; i < owners.size(); ++i) owners[i]->on_logits(outputs.logits_at(i), scratch);
}

TEST(GeneratorEngine, BatchedRequestsEachStreamLlamaCppsContinuation) {
  const auto dir = test::shared_path("models/stories260K");
  auto file = gguf::GgufFile::open((dir / "stories260K-f32.gguf").string());
  const auto tokenizer = tokenizer::Tokenizer::from_gguf(*file);
  model::ModelLoadOptions load;
  load.context_length = 512;
  auto model = model::Model::from_file(file, load);
  EngineOptions options;
  options.threads = 2;
  // As tests/model/stories260k_llamacpp_test.cpp: llama.cpp's rounding and F16 cache.
  options.kernels = tensor::KernelChoice::rounded_activations;
  options.kv_type = tensor::ElementType::F16;
  options.kv_pages = 2 * 512 / options.page_tokens;
  Engine engine(model, options);

  const std::vector<Request> requests = {
      {"Once upon a time", "llamacpp-f32-Once_upon_a_time.txt"},
      {"Lily went to the park", "llamacpp-f32-Lily_went_to_the_park.txt"},
  };
  GenerationOptions generation;
  generation.temperature = 0.0f;
  generation.max_tokens = 200;
  GeneratorSettings settings;
  settings.context_length = 512;

  std::vector<Live> live;
  live.reserve(requests.size());
  for (const auto& request : requests) {
    tokenizer::EncodeOptions encode;
    encode.add_bos = true;
    GenerationChannel channel("native");
    live.push_back({GenerationStream(channel.state()),
                    Generator(*tokenizer, generation, tokenizer->encode(request.prompt, encode),
                              channel, settings),
                    engine.new_sequence()});
  }
  SamplingScratch scratch;
  auto busy = [&] {
    for (const auto& entry : live) {
      if (!entry.generator.finished()) return true;
    }
    return false;
  };
  for (int steps = 0; busy(); ++steps) {
    ASSERT_LT(steps, 1000) << "the loop does not end";
    step(engine, live, 3, scratch);
  }

  for (size_t i = 0; i < requests.size(); ++i) {
    std::string expected =
        test::read_text_file(dir / "reference-llamacpp" / requests[i].reference_file);
    while (!expected.empty() && expected.back() == '\n') expected.pop_back();  // llama-cli's
    auto result = collect(live[i].stream);
    EXPECT_EQ(result.text, expected) << requests[i].prompt;
    ASSERT_TRUE(std::holds_alternative<DoneEvent>(result.terminal));
    const auto& done = std::get<DoneEvent>(result.terminal);
    EXPECT_EQ(done.reason, StopReason::length);
    EXPECT_EQ(done.usage.completion_tokens, 200u);
    EXPECT_EQ(live[i].sequence.length(), live[i].generator.position());
  }
  live.clear();
  EXPECT_EQ(engine.pages().pages_in_use(), 0) << "finished sequences return their pages";
}

}  // namespace
}  // namespace weft::runtime
