// Compile and render times of real chat templates (the reference cases of ../shared).
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "chat/chat_template.hpp"
#include "chat/output_decoder.hpp"

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

const std::string kDir = std::string(WEFT_SHARED_DIR) + "/models/chat-templates/";
const char* const kTemplates[] = {"meta-llama-Llama-3.1-8B-Instruct",
                                  "meetkai-functionary-medium-v3.2", "Qwen-Qwen2.5-7B-Instruct"};

void BM_Compile(benchmark::State& state) {
  std::string source = read_text(kDir + kTemplates[state.range(0)] + ".jinja");
  for (auto _ : state) benchmark::DoNotOptimize(weft::chat::ChatTemplate(source));
  state.SetLabel(kTemplates[state.range(0)]);
}
BENCHMARK(BM_Compile)->DenseRange(0, 2);

// The tool-calling case: the most work each template does.
void BM_Render(benchmark::State& state) {
  std::string name = kTemplates[state.range(0)];
  weft::chat::ChatTemplate chat_template(read_text(kDir + name + ".jinja"));
  auto cases =
      nlohmann::ordered_json::parse(read_text(kDir + "expected/" + name + ".expected.json"));
  const auto& c = cases.back();
  weft::chat::ChatRenderInput input;
  input.messages = c["messages"];
  if (c.contains("tools")) input.tools = c["tools"];
  input.bos_token = c["bos_token"];
  input.eos_token = c["eos_token"];
  input.now = std::tm{};
  size_t bytes = 0;
  for (auto _ : state) {
    auto prompt = chat_template.render(input);
    bytes += prompt.size();
    benchmark::DoNotOptimize(prompt);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetLabel(name);
}
BENCHMARK(BM_Render)->DenseRange(0, 2);

void BM_DecodeHermesByteByByte(benchmark::State& state) {
  std::string output =
      "<think>Need the weather.</think><tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
      "{\"city\": \"Paris\"}}\n</tool_call>";
  weft::chat::DecoderConfig config;
  config.tool_calls = weft::chat::ToolCallFormat::hermes;
  for (auto _ : state) {
    weft::chat::OutputDecoder decoder(config);
    for (char c : output) benchmark::DoNotOptimize(decoder.feed(std::string_view(&c, 1)));
    benchmark::DoNotOptimize(decoder.finish());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * output.size()));
}
BENCHMARK(BM_DecodeHermesByteByByte);

}  // namespace

BENCHMARK_MAIN();
