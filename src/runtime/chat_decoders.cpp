// weft::ChatDecoder, ReasoningDecoder, ToolCallDecoder and the chat token helpers
// (include/weft/chat_decoders.hpp), over the runtime's tokenizer and chat::OutputDecoder.
#include "weft/chat_decoders.hpp"

#include <algorithm>

#include "chat/output_decoder.hpp"
#include "tokenizer/utf8.hpp"
#include "weft/error.hpp"

namespace weft {
// Named, not anonymous: the decoders' Impl structs, which have external linkage, hold these
// types as members.
namespace chat_decoding {

// Token bytes to text, holding back a UTF-8 character until its last byte has come.
class TokenText {
 public:
  explicit TokenText(const ContextRuntime& runtime) : runtime_(&runtime) {}

  std::string push(std::span<const int32_t> tokens) {
    for (int32_t token : tokens) pending_ += runtime_->token_bytes(token);
    size_t held = 0;
    auto text = tokenizer::take_valid_utf8(pending_, /*final=*/false, held);
    pending_.erase(0, pending_.size() - held);
    return text;
  }
  void reset() { pending_.clear(); }

 private:
  const ContextRuntime* runtime_;
  std::string pending_;
};

// Sampled tokens through the template's output decoder; reset() starts over.
class TemplateOutput {
 public:
  TemplateOutput(const ContextRuntime& runtime, chat::DecoderConfig config)
      : config_(std::move(config)), text_(runtime), decoder_(config_) {}

  chat::DecodedOutput feed(std::span<const int32_t> tokens) {
    return decoder_.feed(text_.push(tokens));
  }
  const chat::OutputDecoder& decoder() const { return decoder_; }
  void reset() {
    text_.reset();
    decoder_ = chat::OutputDecoder(config_);
  }

 private:
  chat::DecoderConfig config_;
  TokenText text_;
  chat::OutputDecoder decoder_;
};

}  // namespace chat_decoding

using chat_decoding::TemplateOutput;
using chat_decoding::TokenText;

namespace {

std::vector<int32_t> sorted(std::vector<int32_t> ids) {
  std::ranges::sort(ids);
  return ids;
}

chat::DecoderConfig reasoning_config(const ContextRuntime& runtime) {
  auto config = chat::decoder_config_for_template(runtime.chat_template());
  config.tool_calls = chat::ToolCallFormat::none;
  return config;
}

chat::DecoderConfig tool_call_config(const ContextRuntime& runtime) {
  auto config = chat::decoder_config_for_template(runtime.chat_template());
  if (config.tool_calls == chat::ToolCallFormat::none) {
    config.tool_calls = chat::ToolCallFormat::hermes;
  }
  // Reasoning stays recognised so that a call written while thinking is not taken as one.
  return config;
}

size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  return static_cast<size_t>(std::ranges::mismatch(a, b).in1 - a.begin());
}

Message probe() {
  return {Role::user, "x"};
}

}  // namespace

struct ChatDecoder::Impl {
  explicit Impl(const ContextRuntime& runtime)
      : text(runtime),
        stops(sorted(runtime.stop_tokens())),
        special(sorted(runtime.special_tokens())) {}
  TokenText text;
  std::vector<int32_t> stops;
  std::vector<int32_t> special;
  std::string visible;
};

ChatDecoder::ChatDecoder(const ContextRuntime& runtime) : impl_(std::make_unique<Impl>(runtime)) {}
ChatDecoder::~ChatDecoder() = default;
ChatDecoder::ChatDecoder(ChatDecoder&&) noexcept = default;
ChatDecoder& ChatDecoder::operator=(ChatDecoder&&) noexcept = default;

ChatEvent ChatDecoder::feed(std::span<const int32_t> tokens) {
  std::string delta;
  for (int32_t token : tokens) {
    if (std::ranges::binary_search(impl_->stops, token)) {
      impl_->visible += delta;
      return {ChatEvent::Kind::done, impl_->visible, token};
    }
    if (std::ranges::binary_search(impl_->special, token)) {
      impl_->visible += delta;
      // Text before the control token in this feed is part of the answer; it comes out in
      // the next delta's place, text(), or done.
      return {ChatEvent::Kind::interrupt, delta, token};
    }
    delta += impl_->text.push(std::span<const int32_t>(&token, 1));
  }
  impl_->visible += delta;
  if (delta.empty()) return {};
  return {ChatEvent::Kind::delta, std::move(delta), -1};
}

const std::string& ChatDecoder::text() const {
  return impl_->visible;
}

void ChatDecoder::reset() {
  impl_->text.reset();
  impl_->visible.clear();
}

struct ReasoningDecoder::Impl {
  explicit Impl(const ContextRuntime& runtime) : output(runtime, reasoning_config(runtime)) {}
  TemplateOutput output;
  std::string body;  // reasoning of the open block
};

ReasoningDecoder::ReasoningDecoder(const ContextRuntime& runtime)
    : impl_(std::make_unique<Impl>(runtime)) {}
ReasoningDecoder::~ReasoningDecoder() = default;
ReasoningDecoder::ReasoningDecoder(ReasoningDecoder&&) noexcept = default;
ReasoningDecoder& ReasoningDecoder::operator=(ReasoningDecoder&&) noexcept = default;

ReasoningEvent ReasoningDecoder::feed(std::span<const int32_t> tokens) {
  const bool was_inside = impl_->output.decoder().in_reasoning();
  const auto out = impl_->output.feed(tokens);
  impl_->body += out.reasoning;
  const bool inside = impl_->output.decoder().in_reasoning();
  // A block that closed: any block that gave reasoning text and is no longer open.
  if (!inside && (was_inside || !out.reasoning.empty())) {
    return {ReasoningEvent::Kind::end, std::exchange(impl_->body, {})};
  }
  if (inside && !was_inside) return {ReasoningEvent::Kind::start, out.reasoning};
  if (!out.reasoning.empty()) return {ReasoningEvent::Kind::delta, out.reasoning};
  return {};
}

void ReasoningDecoder::reset() {
  impl_->output.reset();
  impl_->body.clear();
}

struct ToolCallDecoder::Impl {
  explicit Impl(const ContextRuntime& runtime) : output(runtime, tool_call_config(runtime)) {}
  TemplateOutput output;
};

ToolCallDecoder::ToolCallDecoder(const ContextRuntime& runtime)
    : impl_(std::make_unique<Impl>(runtime)) {}
ToolCallDecoder::~ToolCallDecoder() = default;
ToolCallDecoder::ToolCallDecoder(ToolCallDecoder&&) noexcept = default;
ToolCallDecoder& ToolCallDecoder::operator=(ToolCallDecoder&&) noexcept = default;

ToolCallEvent ToolCallDecoder::feed(std::span<const int32_t> tokens) {
  const bool was_inside = impl_->output.decoder().in_tool_calls();
  const auto out = impl_->output.feed(tokens);
  if (!out.tool_calls.empty()) {
    ToolCallEvent event{ToolCallEvent::Kind::calls, {}};
    for (const auto& call : out.tool_calls) {
      event.calls.push_back({call.name, call.arguments.dump(), call.id});
    }
    return event;
  }
  if (impl_->output.decoder().in_tool_calls() && !was_inside) {
    return {ToolCallEvent::Kind::start, {}};
  }
  return {};
}

void ToolCallDecoder::reset() {
  impl_->output.reset();
}

std::vector<int32_t> chat_message_tokens(const ContextRuntime& runtime, const Message& message) {
  return runtime.render_chat(std::span<const Message>(&message, 1), false);
}

std::vector<int32_t> chat_cue_tokens(const ContextRuntime& runtime) {
  const Message probe_message = probe();
  const auto with_prompt = runtime.render_chat(std::span<const Message>(&probe_message, 1), true);
  const auto without = runtime.render_chat(std::span<const Message>(&probe_message, 1), false);
  return {with_prompt.begin() + static_cast<std::ptrdiff_t>(common_prefix(with_prompt, without)),
          with_prompt.end()};
}

std::vector<int32_t> chat_seal_tokens(const ContextRuntime& runtime) {
  const Message probe_message = probe();
  const std::vector<Message> answered = {probe_message, {Role::assistant, "ok"}};
  const auto closed = runtime.render_chat(answered, false);
  const auto cued = runtime.render_chat(std::span<const Message>(&probe_message, 1), true);
  const auto after_cue = std::span(closed).subspan(common_prefix(closed, cued));
  // The answer's tokens in the rendering need not be encode("ok") (a SentencePiece vocabulary
  // spells text differently at the start of an encode): skip tokens until they spell it.
  for (size_t answer = 1; answer <= after_cue.size(); ++answer) {
    const auto text = runtime.decode(after_cue.first(answer));
    const auto start = text.find_first_not_of(' ');
    if (start != std::string::npos && text.substr(start) == "ok") {
      return {after_cue.begin() + static_cast<std::ptrdiff_t>(answer), after_cue.end()};
    }
  }
  throw Error("the chat template does not render an assistant answer after its generation prompt");
}

}  // namespace weft
