// `weft template render` and `weft chat`, run as a user would, with stdin piped in.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/run_weft_input.hpp"
#include "support/shared_files.hpp"

namespace {

using nlohmann::ordered_json;
using weft::test::run_weft_with_input;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string template_path(const std::string& name) {
  return weft::test::shared_path("models/chat-templates/" + name + ".jinja").string();
}

ordered_json reference_case(const std::string& name, const std::string& case_name) {
  auto cases = ordered_json::parse(
      read_text(weft::test::shared_path("models/chat-templates/expected/" + name + ".expected.json")
                    .string()));
  for (const auto& c : cases) {
    if (c.at("case") == case_name) return c;
  }
  throw std::runtime_error("no case " + case_name);
}

TEST(TemplateRenderCli, PrintsTheReferenceRenderingOfARequest) {
  const std::string name = "Qwen-Qwen2.5-7B-Instruct";
  auto c = reference_case(name, "tools_call_and_result");
  ordered_json request = {{"messages", c["messages"]},
                          {"tools", c["tools"]},
                          {"add_generation_prompt", c["add_generation_prompt"]},
                          {"bos_token", c["bos_token"]},
                          {"eos_token", c["eos_token"]}};
  auto result = run_weft_with_input({"template", "render", "--template", template_path(name)},
                                    request.dump());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, c["expected"].get<std::string>());
}

TEST(TemplateRenderCli, ATemplateErrorIsPrintedAndFails) {
  const std::string name = "google-gemma-2-2b-it";
  auto c = reference_case(name, "system_user_gen");
  ordered_json request = {{"messages", c["messages"]}, {"bos_token", c["bos_token"]}};
  auto result = run_weft_with_input({"template", "render", "--template", template_path(name)},
                                    request.dump());
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find(c["error"].get<std::string>()), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
}

TEST(TemplateRenderCli, UsesTheModelsTemplateAndTokensByDefault) {
  // Rendered by Python's Jinja2 from the template and BOS/EOS strings stored in the GGUF.
  auto reference = ordered_json::parse(
      read_text(std::string(WEFT_SOURCE_DIR) + "/tests/chat/data/model_render_case.json"));
  std::string model = weft::test::shared_path(reference["model"].get<std::string>()).string();
  auto result = run_weft_with_input({"template", "render", model}, reference["request"].dump());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, reference["expected"].get<std::string>());
}

TEST(TemplateRenderCli, ModelWithoutTemplateFallsBackToChatMl) {
  std::string model = weft::test::shared_path("models/stories260K/stories260K-f32.gguf").string();
  auto result = run_weft_with_input({"template", "render", model},
                                    R"({"messages":[{"role":"user","content":"Hi"}]})");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_NE(result.err.find("ChatML"), std::string::npos);
}

TEST(TemplateRenderCli, RejectsBadRequests) {
  auto not_json = run_weft_with_input(
      {"template", "render", "--template", template_path("Qwen-Qwen2.5-7B-Instruct")}, "{nope");
  EXPECT_NE(not_json.exit_code, 0);
  EXPECT_NE(not_json.err.find("not valid JSON"), std::string::npos);
  auto neither = run_weft_with_input({"template", "render"}, "{}");
  EXPECT_NE(neither.exit_code, 0);
}

const std::vector<std::pair<std::string, std::string>> kFastStub = {{"WEFT_STUB_DELAY_MS", "0"}};

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The prompt-token counts that --stats reports, in order (the stub counts the words of all
// messages it receives, so they show what history the backend was sent).
std::vector<unsigned> prompt_tokens(const std::string& err) {
  std::vector<unsigned> counts;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    auto colon = line.find(": ");
    if (line.rfind("[stub", 0) == 0 && colon != std::string::npos)
      counts.push_back(std::stoul(line.substr(colon + 2)));
  }
  return counts;
}

TEST(ChatCli, KeepsHistoryAcrossTurnsAndResets) {
  auto result = run_weft_with_input({"chat", "--backend", "stub", "--stats"},
                                    "hello\nsecond turn\n/reset\nthird\n", kFastStub);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(count(result.out, "stub backend"), 3u) << result.out;
  auto counts = prompt_tokens(result.err);
  ASSERT_EQ(counts.size(), 3u) << result.err;
  EXPECT_GT(counts[1], counts[0] + 2);  // the first question and answer went along
  EXPECT_EQ(counts[2], 1u);             // after /reset: only "third"
}

TEST(ChatCli, SystemCommandSetsTheSystemPrompt) {
  auto result = run_weft_with_input({"chat", "--backend", "stub", "--stats"},
                                    "/system Be very terse\nhi\n", kFastStub);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  auto counts = prompt_tokens(result.err);
  ASSERT_EQ(counts.size(), 1u) << result.err;
  EXPECT_EQ(counts[0], 4u);  // "Be very terse" + "hi"
}

TEST(ChatCli, EndOfInputAndQuitLeave) {
  auto at_end = run_weft_with_input({"chat", "--backend", "stub"}, "", kFastStub);
  EXPECT_EQ(at_end.exit_code, 0);
  auto quit = run_weft_with_input({"chat", "--backend", "stub"}, "/quit\nnot asked\n", kFastStub);
  EXPECT_EQ(quit.exit_code, 0);
  EXPECT_EQ(count(quit.out, "stub backend"), 0u);
}

}  // namespace
