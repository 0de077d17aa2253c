// The native backend end to end through the backend interface: stories260K against
// llama.cpp's greedy continuations, model facts against the fixtures' SUMMARY.tsv, and the
// errors of a backend without a model.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "backend/native_backend.hpp"
#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"
#include "support/text_pieces.hpp"
#include "weft/error.hpp"
#include "weft/registry.hpp"

namespace weft {
namespace {

LoadOptions load_options(const std::filesystem::path& path) {
  LoadOptions options;
  options.model_path = path.string();
  options.threads = 1;
  return options;
}

struct NativeBackendCase {
  std::string variant;
  std::string prompt;
};

void PrintTo(const NativeBackendCase& c, std::ostream* out) {
  *out << c.variant << " " << c.prompt;
}

class NativeStories260k : public ::testing::TestWithParam<NativeBackendCase> {};

TEST(NativeBackendRegistry, IsBuiltInAndChosenForAModelFile) {
  auto registry = BackendRegistry::with_builtin_backends();
  ASSERT_TRUE(registry.contains("native"));
  SelectionInputs inputs;
  inputs.model_path = "model.gguf";
  inputs.ollama_reachable = [] { return false; };
  EXPECT_EQ(select_backend(registry, inputs).backend, "native");
}

// llama-cli -n 200 -c 512 --temp 0 (reference-llamacpp/README.txt): the prompt with BOS, no
// chat template (stories260K has none), so the backend continues the plain text.
TEST_P(NativeStories260k, GreedyContinuationEqualsLlamaCpp) {
  const auto& [variant, prompt] = GetParam();
  const auto dir = test::shared_path("models/stories260K");
  std::string file_prompt = prompt;
  for (char& c : file_prompt) c = c == ' ' ? '_' : c;
  const auto expected = test::without_trailing_newlines(test::read_text_file(
      dir / "reference-llamacpp" / ("llamacpp-" + variant + "-" + file_prompt + ".txt")));
  ASSERT_FALSE(expected.empty());

  // The kernels that round activations as llama.cpp does (docs/engine.md): with the plain
  // fast kernels the "Lily" continuations part from llama.cpp's at a near-tie.
  backend::NativeConfig config;
  config.kernels = tensor::KernelChoice::rounded_activations;
  auto backend = std::make_unique<backend::NativeBackend>(config);
  LoadOptions load;
  load.model_path = (dir / ("stories260K-" + variant + ".gguf")).string();
  load.context_length = 512;
  load.threads = 2;
  backend->load(load);
  EXPECT_FALSE(backend->model_info().has_chat_template);

  GenerationRequest request;
  request.messages = {{Role::user, prompt}};
  request.options.max_tokens = 200;
  request.options.temperature = 0.0f;
  auto stream = backend->generate(request);
  auto result = collect(stream);
  auto* done = std::get_if<DoneEvent>(&result.terminal);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->backend, "native");
  EXPECT_EQ(test::without_trailing_newlines(result.text), expected);
  backend->scheduler()->sync();
  EXPECT_EQ(backend->scheduler()->stats().pages_in_use, 0);
}

INSTANTIATE_TEST_SUITE_P(ReferenceLlamacpp, NativeStories260k,
                         ::testing::Values(NativeBackendCase{"f32", "Once upon a time"},
                                           NativeBackendCase{"f32", "Lily went to the park"},
                                           NativeBackendCase{"f16", "Once upon a time"}),
                         [](const auto& info) {
                           std::string name = info.param.variant + "_" + info.param.prompt;
                           for (char& c : name)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

// SUMMARY.tsv's tensor_types column, e.g. "F32:9,Q4_K:12,Q6_K:3": type → tensor count.
std::map<std::string, std::map<std::string, int>> summary_tensor_types() {
  std::ifstream in(test::shared_path("fixtures/SUMMARY.tsv"));
  std::string line;
  std::getline(in, line);  // header
  std::map<std::string, std::map<std::string, int>> out;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::stringstream row(line);
    for (std::string field; std::getline(row, field, '\t');) fields.push_back(field);
    if (fields.size() < 3) continue;
    std::stringstream types(fields[2]);
    for (std::string item; std::getline(types, item, ',');) {
      const auto colon = item.find(':');
      out[fields[1]][item.substr(0, colon)] = std::stoi(item.substr(colon + 1));
    }
  }
  return out;
}

// The quantisation comes from the tensors, not general.file_type (which says Q3_K_M for
// the uniform q3_k file, for instance): every matrix type in the file, the most common first.
TEST(NativeBackendInfo, QuantizationArchitectureAndSizesFromTheFile) {
  const auto summary = summary_tensor_types();
  ASSERT_FALSE(summary.empty());
  for (const auto& fixture : test::fixture_models()) {
    SCOPED_TRACE(fixture.name());
    const auto found = summary.find(fixture.name());
    ASSERT_NE(found, summary.end());
    backend::NativeBackend backend;
    backend.load(load_options(fixture.gguf));
    const auto info = backend.model_info();
    EXPECT_EQ(info.architecture, fixture.arch == "stories260K" ? "llama" : fixture.arch);
    EXPECT_EQ(info.vocabulary_size, 512u);

    // Matrices only: F32 appears in SUMMARY for the norm vectors of every file.
    std::set<std::string> listed;
    std::stringstream parts(info.quantization);
    for (std::string part; std::getline(parts, part, '+');) listed.insert(part);
    std::set<std::string> expected;
    for (const auto& [type, count] : found->second) {
      if (type != "F32" || found->second.size() == 1) expected.insert(type);
    }
    if (fixture.arch == "stories260K") {
      // Its fallback files keep some matrices in F32 as well; compare the quantised ones.
      listed.erase("F32");
      expected.erase("F32");
    }
    EXPECT_EQ(listed, expected) << info.quantization;
  }
}

// The synthetic fixtures' shapes (fixtures/README.md §2): hidden 256, 2 layers, 4 heads of
// 64, 2 KV heads, feed-forward 512, vocabulary 512, context 256; llama has a separate output.
TEST(NativeBackendInfo, ParameterCountOfTheLlamaFixture) {
  backend::NativeBackend backend;
  backend.load(load_options(test::shared_path("fixtures/llama/llama-f32.gguf")));
  const uint64_t embd = 256, ff = 512, vocab = 512, kv = 2 * 64, layers = 2;
  const uint64_t per_layer =
      embd + embd * embd + 2 * embd * kv + embd * embd + embd + 3 * embd * ff;
  const auto info = backend.model_info();
  EXPECT_EQ(info.parameter_count, 2 * vocab * embd + embd + layers * per_layer);
  EXPECT_EQ(info.context_length, 256u);
}

// LoadOptions::progress hears the whole load through the public interface: the file, the
// weights, their repacking (Q4_0 is repacked on x86) counted up to every row, the tokenizer
// and the engine, in that order, each step once.
TEST(NativeBackendLoad, ProgressHearsEveryStepInOrder) {
  std::vector<std::string> steps;
  uint64_t last_done = 0, total = 0;
  auto options = load_options(test::shared_path("fixtures/llama/llama-q4_0.gguf"));
  options.progress = [&](const LoadProgress& progress) {
    if (steps.empty() || steps.back() != progress.step) steps.emplace_back(progress.step);
    if (progress.total > 0) {
      EXPECT_GE(progress.done, last_done);
      last_done = progress.done;
      total = progress.total;
    }
  };
  backend::NativeBackend backend;
  backend.load(options);
  std::vector<std::string> expected = {"mapping the file", "reading the weights"};
  if (total > 0) expected.push_back("packing weights");
  expected.insert(expected.end(), {"reading the tokenizer", "starting the engine"});
  EXPECT_EQ(steps, expected);
  EXPECT_EQ(last_done, total);
  EXPECT_EQ(backend.model_info().architecture, "llama");
}

TEST(NativeBackendErrors, LoadWithoutAModelSaysWhatIsMissing) {
  backend::NativeBackend backend;
  EXPECT_TRUE(backend.available().available);
  try {
    backend.load({});
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("model"), std::string::npos) << error.what();
  }
  GenerationRequest request;
  request.messages = {{Role::user, "hello"}};
  auto stream = backend.generate(request);
  auto result = collect(stream);
  auto* error = std::get_if<ErrorEvent>(&result.terminal);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::backend_unavailable);
}

TEST(NativeBackendErrors, RequestWithoutMessagesIsInvalid) {
  backend::NativeBackend backend;
  backend.load(load_options(test::shared_path("fixtures/llama/llama-f32.gguf")));
  auto stream = backend.generate(GenerationRequest{});
  auto result = collect(stream);
  auto* error = std::get_if<ErrorEvent>(&result.terminal);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::invalid_request);
}

}  // namespace
}  // namespace weft
