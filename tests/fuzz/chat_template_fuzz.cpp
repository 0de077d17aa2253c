// libFuzzer target for the Jinja engine: any template text must either compile or fail with a
// TemplateError, and what compiles must render a fixed conversation or fail with one, within
// the sandbox's limits. Anything else (a crash, another exception, a hang) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "chat/chat_template.hpp"
#include "chat/jinja/error.hpp"
#include "weft/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string source(reinterpret_cast<const char*>(data), size);
  static const auto messages = nlohmann::ordered_json::parse(
      R"([{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"id":"abcDEF123","type":"function",)"
      R"("function":{"name":"f","arguments":{"a":1}}}]},{"role":"tool","content":"{\"x\": 2}"}])");
  try {
    weft::chat::ChatTemplate chat_template(source);
    weft::chat::ChatRenderInput input;
    input.messages = messages;
    input.tools = nlohmann::ordered_json::parse(R"([{"type":"function","function":{"name":"f"}}])");
    input.bos_token = "<s>";
    input.eos_token = "</s>";
    input.now = std::tm{};
    input.limits.max_loop_iterations = 20000;
    input.limits.max_output_bytes = 1 << 20;
    input.limits.max_call_depth = 32;
    (void)chat_template.render(input);
  } catch (const weft::Error&) {
  }
  return 0;
}
