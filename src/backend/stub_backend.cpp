#include "backend/stub_backend.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "backend/option_support.hpp"
#include "runtime/stop_matcher.hpp"
#include "weft/error.hpp"

namespace weft::backend {
namespace {

// Words with their leading space, so the concatenation is the canned text again.
std::vector<std::string> split_into_tokens(const std::string& text) {
  std::vector<std::string> tokens;
  size_t start = 0;
  while (start < text.size()) {
    size_t next = text.find(' ', start + 1);
    if (next == std::string::npos) next = text.size();
    tokens.push_back(text.substr(start, next - start));
    start = next;
  }
  return tokens;
}

uint32_t count_prompt_words(const GenerationRequest& request) {
  uint32_t words = 0;
  for (const auto& message : request.messages) {
    words += static_cast<uint32_t>(split_into_tokens(message.content).size());
  }
  return words;
}

void run_stub(GenerationChannel channel, std::vector<std::string> tokens, GenerationOptions options,
              std::chrono::milliseconds delay, uint32_t prompt_tokens) {
  const auto start = std::chrono::steady_clock::now();
  runtime::StopMatcher stops(options.stop);
  DoneEvent done;
  done.reason = StopReason::end;
  uint32_t produced = 0;
  for (const auto& token : tokens) {
    if (produced == options.max_tokens) {
      done.reason = StopReason::length;
      break;
    }
    std::this_thread::sleep_for(delay);
    if (channel.cancelled()) return;  // the stream already ended with done(cancelled)
    ++produced;
    auto step = stops.feed(token);
    if (!step.emit.empty() && !channel.token({step.emit, std::nullopt})) return;
    if (step.stopped) break;
  }
  if (auto rest = stops.flush(); !rest.empty()) channel.token({rest, std::nullopt});
  done.usage = {prompt_tokens, produced};
  done.timings.total = std::chrono::steady_clock::now() - start;
  done.timings.generation = done.timings.total;
  channel.done(std::move(done));
}

}  // namespace

std::string stub_text_from_environment() {
  const char* text = std::getenv("WEFT_STUB_TEXT");
  return text && *text ? std::string(text) : std::string(kStubCannedText);
}

std::chrono::milliseconds stub_token_delay_from_environment() {
  constexpr int64_t kMostMilliseconds = 60000;
  const char* text = std::getenv("WEFT_STUB_DELAY_MS");
  if (!text || !*text) return std::chrono::milliseconds(5);
  const std::string_view value(text);
  int64_t milliseconds = -1;
  const auto [end, problem] =
      std::from_chars(value.data(), value.data() + value.size(), milliseconds);
  if (problem != std::errc() || end != value.data() + value.size() || milliseconds < 0 ||
      milliseconds > kMostMilliseconds) {
    throw Error(ErrorCode::invalid_request,
                "WEFT_STUB_DELAY_MS must be a whole number of milliseconds from 0 to " +
                    std::to_string(kMostMilliseconds) + ", not '" + std::string(value) + "'");
  }
  return std::chrono::milliseconds(milliseconds);
}

StubBackend::StubBackend(StubConfig config)
    : config_(std::move(config)),
      token_delay_(config_.token_delay ? *config_.token_delay
                                       : stub_token_delay_from_environment()) {}

void StubBackend::load(const LoadOptions&) {
  // Lets daemon tests observe the loading phase and ready gating (WEFT_STUB_LOAD_DELAY_MS).
  if (const char* delay = std::getenv("WEFT_STUB_LOAD_DELAY_MS")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::strtol(delay, nullptr, 10)));
  }
}

ModelInfo StubBackend::model_info() const {
  ModelInfo info;
  info.name = "stub";
  info.architecture = "stub";
  return info;
}

GenerationStream StubBackend::generate(const GenerationRequest& request) {
  GenerationChannel channel(name());
  GenerationStream stream(channel.state());
  if (auto unsupported = unsupported_native_only_option(request.options, name())) {
    channel.error(ErrorCode::invalid_request, *unsupported);
    return stream;
  }
  uint32_t prompt_tokens = count_prompt_words(request);
  channel.set_prompt_tokens(prompt_tokens);
  // Detached: the thread owns the channel; cancel or a dropped stream make it stop early.
  std::thread(run_stub, channel, split_into_tokens(config_.text), request.options, token_delay_,
              prompt_tokens)
      .detach();
  return stream;
}

}  // namespace weft::backend
