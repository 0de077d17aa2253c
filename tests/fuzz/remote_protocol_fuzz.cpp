// libFuzzer target for what the ollama and openai backends read from a server: NDJSON lines,
// SSE events and their JSON chunks, error bodies, model lists. Any input must be parsed or
// rejected with weft::Error; any other exception, crash or sanitizer report is a finding.
// The first byte chooses where the stream is cut in two, as a network read might cut it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "backend/line_splitter.hpp"
#include "backend/ollama_protocol.hpp"
#include "backend/openai_protocol.hpp"
#include "backend/sse_parser.hpp"
#include "weft/error.hpp"

namespace {

using namespace weft::backend;

template <typename Parse>
void parse_or_reject(Parse&& parse) {
  try {
    parse();
  } catch (const weft::Error&) {
  }
}

void read_as_ollama(std::string_view head, std::string_view tail) {
  LineSplitter lines;
  auto take = [](const std::string& line) {
    if (!line.empty()) parse_or_reject([&] { (void)ollama::parse_stream_line(line); });
  };
  parse_or_reject([&] {
    for (const auto& line : lines.feed(head)) take(line);
    for (const auto& line : lines.feed(tail)) take(line);
    take(lines.take_rest());
  });
}

void read_as_openai(std::string_view head, std::string_view tail) {
  SseParser events;
  auto take = [](const SseEvent& event) {
    parse_or_reject([&] { (void)openai::parse_stream_data(event.data); });
  };
  parse_or_reject([&] {
    for (const auto& event : events.feed(head)) take(event);
    for (const auto& event : events.feed(tail)) take(event);
    for (const auto& event : events.finish()) take(event);
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t cut = data[0] % (input.size() + 1);
  read_as_ollama(input.substr(0, cut), input.substr(cut));
  read_as_openai(input.substr(0, cut), input.substr(cut));

  std::string body(input);
  (void)ollama::error_message(body);
  (void)openai::error_message(body);
  parse_or_reject([&] { (void)ollama::parse_tags(body); });
  parse_or_reject([&] { (void)ollama::parse_show("m", body); });
  parse_or_reject([&] { (void)openai::parse_models(body); });
  return 0;
}
