// Decoders that turn sampled tokens into chat events, for callers that run their own loop
// (weft::Generator, weft/generator.hpp): the visible answer, the model's reasoning block and
// its tool calls, as the model's chat template writes them. They follow the decoders of Pie's
// inferlet SDK (chat.Decoder, reasoning.Decoder, tools.Decoder): feed(tokens) returns the
// event the tokens produced; reset() starts over.
//
//   weft::ChatDecoder chat(*runtime);
//   while (auto token = generator.step()) {
//     auto event = chat.feed({&*token, 1});
//     if (event.kind == weft::ChatEvent::Kind::delta) std::cout << event.text;
//   }
//
// Text is released only as whole UTF-8 characters (a character split across tokens waits for
// its last byte). Threads: one decoder per thread at a time; the runtime must outlive it.
// Errors: a token id outside the vocabulary throws weft::Error.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "weft/context.hpp"
#include "weft/export.hpp"

namespace weft {

struct WEFT_EXPORT ChatEvent {
  enum class Kind {
    idle,       // nothing visible yet
    delta,      // `text`: visible text since the last event
    done,       // a stop token ended the turn; `text`: the whole visible answer
    interrupt,  // `token`: a control token of the template (kept out of the text)
  };
  Kind kind = Kind::idle;
  std::string text;
  int32_t token = -1;
};

class WEFT_EXPORT ChatDecoder {
 public:
  explicit ChatDecoder(const ContextRuntime& runtime);
  ~ChatDecoder();
  ChatDecoder(ChatDecoder&&) noexcept;
  ChatDecoder& operator=(ChatDecoder&&) noexcept;

  // The first boundary in `tokens` wins: tokens after a stop or control token are not read.
  ChatEvent feed(std::span<const int32_t> tokens);
  const std::string& text() const;  // the visible text so far
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct WEFT_EXPORT ReasoningEvent {
  enum class Kind {
    idle,   // outside a reasoning block
    start,  // a block opened; `text`: its first reasoning text, if any came with it
    delta,  // `text`: reasoning text since the last event
    end,    // the block closed; `text`: the whole reasoning of the block
  };
  Kind kind = Kind::idle;
  std::string text;
};

// The reasoning markers are those of the model's template (<think>…</think> by default);
// for templates whose generation prompt opens the block (DeepSeek R1), the output starts
// inside it.
class WEFT_EXPORT ReasoningDecoder {
 public:
  explicit ReasoningDecoder(const ContextRuntime& runtime);
  ~ReasoningDecoder();
  ReasoningDecoder(ReasoningDecoder&&) noexcept;
  ReasoningDecoder& operator=(ReasoningDecoder&&) noexcept;

  ReasoningEvent feed(std::span<const int32_t> tokens);
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct WEFT_EXPORT ToolCallEvent {
  struct Call {
    std::string name;
    std::string arguments;  // JSON text, as the model wrote the arguments
    std::string id;         // when the format carries one (Mistral)
  };
  enum class Kind {
    idle,   // no call being written
    start,  // a call began (its JSON is not complete yet)
    calls,  // `calls`: the calls completed by these tokens, in order
  };
  Kind kind = Kind::idle;
  std::vector<Call> calls;
};

// The call format is the template's (Hermes <tool_call>, Llama 3 JSON, Mistral [TOOL_CALLS]),
// Hermes when the template names none.
class WEFT_EXPORT ToolCallDecoder {
 public:
  explicit ToolCallDecoder(const ContextRuntime& runtime);
  ~ToolCallDecoder();
  ToolCallDecoder(ToolCallDecoder&&) noexcept;
  ToolCallDecoder& operator=(ToolCallDecoder&&) noexcept;

  ToolCallEvent feed(std::span<const int32_t> tokens);
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Token ids of the model's chat template for building a conversation by hand:
// a message rendered alone (with what the template puts before a first message, e.g. BOS),
WEFT_EXPORT std::vector<int32_t> chat_message_tokens(const ContextRuntime& runtime,
                                                     const Message& message);
// the generation prompt that cues the assistant's answer ("<|im_start|>assistant\n"),
WEFT_EXPORT std::vector<int32_t> chat_cue_tokens(const ContextRuntime& runtime);
// and what seals an assistant message after its text (e.g. "<|im_end|>\n").
WEFT_EXPORT std::vector<int32_t> chat_seal_tokens(const ContextRuntime& runtime);

}  // namespace weft
