#include "runtime/generator.hpp"

#include <string>

#include "weft/error.hpp"

namespace weft::runtime {

Generator::Generator(const tokenizer::Tokenizer& tokenizer, const GenerationOptions& options,
                     std::vector<TokenId> prompt, GenerationChannel channel,
                     GeneratorSettings settings)
    : tokenizer_(tokenizer),
      channel_(std::move(channel)),
      settings_(std::move(settings)),
      max_tokens_(options.max_tokens),
      sampler_(SamplerConfig{}),
      stops_(options.stop),
      pending_(std::move(prompt)),
      prompt_tokens_(static_cast<uint32_t>(pending_.size())) {
  created_ = now();
  last_token_ = created_;
  channel_.set_prompt_tokens(prompt_tokens_);
  try {
    sampler_ = Sampler(SamplerConfig::from_options(options));
  } catch (const Error& error) {
    fail(error.code(), error.what());
    return;
  }
  if (auto problem = prompt_problem()) {
    fail(ErrorCode::invalid_request, std::move(*problem));
    return;
  }
  detokenizer_.emplace(tokenizer_, pending_);
  sampler_.observe_prompt(pending_);
  if (max_tokens_ == 0) finish(StopReason::length, false);
}

std::optional<std::string> Generator::prompt_problem() const {
  if (pending_.empty()) return "the prompt is empty: there is nothing to continue";
  const int32_t vocabulary = tokenizer_.vocab_size();
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (pending_[i] < 0 || pending_[i] >= vocabulary) {
      return "prompt token " + std::to_string(i) + " has id " + std::to_string(pending_[i]) +
             ", outside the vocabulary of " + std::to_string(vocabulary) + " tokens";
    }
  }
  if (settings_.context_length != 0 && pending_.size() > settings_.context_length) {
    return "the prompt has " + std::to_string(pending_.size()) +
           " tokens but the context holds only " + std::to_string(settings_.context_length);
  }
  return std::nullopt;
}

Generator::Clock::time_point Generator::now() const {
  return settings_.clock ? settings_.clock() : Clock::now();
}

std::span<const TokenId> Generator::pending_input() const {
  if (finished()) return {};
  return std::span<const TokenId>(pending_).subspan(pending_offset_);
}

void Generator::consume_input(size_t count) {
  if (count > pending_.size() - pending_offset_) {
    throw Error(ErrorCode::internal,
                "generator: consume_input(" + std::to_string(count) + ") but only " +
                    std::to_string(pending_.size() - pending_offset_) + " tokens are pending");
  }
  if (count > 0 && !prefill_started_) prefill_started_ = now();
  pending_offset_ += count;
  position_ += static_cast<uint32_t>(count);
}

void Generator::skip_cached_prefix(size_t count) {
  if (count == 0) return;
  if (position_ != 0 || count >= pending_.size()) {
    throw Error(ErrorCode::internal, "generator: skip_cached_prefix(" + std::to_string(count) +
                                         ") must come first and leave the last prompt token");
  }
  pending_offset_ = count;
  position_ = static_cast<uint32_t>(count);
  cached_prompt_tokens_ = static_cast<uint32_t>(count);
}

bool Generator::needs_logits() const {
  return !finished() && position_ > 0 && pending_offset_ == pending_.size();
}

bool Generator::finished() const {
  return finished_ || channel_.cancelled();
}

void Generator::on_logits(std::span<const float> logits) {
  sample_and_emit(logits, nullptr);
}

void Generator::on_logits(std::span<const float> logits, SamplingScratch& scratch) {
  sample_and_emit(logits, &scratch);
}

void Generator::sample_and_emit(std::span<const float> logits, SamplingScratch* shared) {
  if (channel_.cancelled()) {
    finished_ = true;  // the stream already ended with done(cancelled)
    return;
  }
  if (!needs_logits()) {
    throw Error(ErrorCode::internal, "generator: logits given while input is still pending");
  }
  // A model's output matrix may be padded past the tokenizer's vocabulary; those entries
  // are no tokens and are never sampled.
  const auto vocabulary = static_cast<size_t>(tokenizer_.vocab_size());
  if (logits.size() < vocabulary) {
    fail(ErrorCode::internal, "generator: the logits row has " + std::to_string(logits.size()) +
                                  " entries but the vocabulary has " + std::to_string(vocabulary));
    return;
  }
  logits = logits.first(vocabulary);
  TokenId token;
  try {
    token = shared ? sampler_.sample(logits, *shared) : sampler_.sample(logits);
  } catch (const Error& error) {
    fail(error.code(), error.what());
    return;
  }
  handle_token(token);
}

void Generator::handle_token(TokenId token) {
  last_token_ = now();
  if (!first_token_) first_token_ = last_token_;
  generated_.push_back(token);
  sampler_.accept(token);

  if (tokenizer_.is_end_of_generation(token)) {
    finish(StopReason::end, true);
    return;
  }
  if (!emit_text(detokenizer_->push(token), token)) return;
  if (generated_.size() >= max_tokens_) {
    finish(StopReason::length, true);
    return;
  }
  // The sampled token is emitted either way; feeding it needs one more slot in the context.
  if (settings_.context_length != 0 && position_ + 1 > settings_.context_length) {
    finish(StopReason::length, true);
    return;
  }
  pending_.assign(1, token);
  pending_offset_ = 0;
}

bool Generator::emit_text(std::string_view text, std::optional<TokenId> id) {
  auto step = stops_.feed(text);
  if (!channel_.token({std::move(step.emit), id})) {
    finished_ = true;  // cancelled by the consumer
    return false;
  }
  if (step.stopped) {
    finish(StopReason::end, false);
    return false;
  }
  return true;
}

void Generator::finish(StopReason reason, bool flush_held_text) {
  if (flush_held_text) {
    // The detokenizer's tail may still complete a stop string, so it goes through the matcher.
    auto step = stops_.feed(detokenizer_ ? detokenizer_->flush() : std::string());
    std::string rest = std::move(step.emit);
    if (step.stopped) {
      reason = StopReason::end;
    } else {
      rest += stops_.flush();
    }
    if (!rest.empty()) channel_.token({std::move(rest), std::nullopt});
  }
  const auto finished_at = now();
  DoneEvent done;
  done.reason = reason;
  done.usage = {prompt_tokens_, static_cast<uint32_t>(generated_.size()), cached_prompt_tokens_};
  if (first_token_) {
    done.timings.prompt = *first_token_ - prefill_started_.value_or(created_);
    done.timings.first_token = *first_token_ - created_;
    done.timings.generation = last_token_ - *first_token_;
  }
  done.timings.total = finished_at - created_;
  channel_.done(std::move(done));
  finished_ = true;
}

void Generator::fail(ErrorCode code, std::string message) {
  if (finished_) return;
  channel_.error(code, std::move(message));
  finished_ = true;
}

}  // namespace weft::runtime
