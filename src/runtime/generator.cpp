#include "runtime/generator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "runtime/draft_fit.hpp"
#include "runtime/probes.hpp"
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
    fail(problem->code, std::move(problem->message));
    return;
  }
  detokenizer_.emplace(tokenizer_, pending_);
  if (!prepare_row_options(options)) return;
  sampler_.observe_prompt(pending_);
  if (max_tokens_ == 0) finish(StopReason::length, false);
}

bool Generator::prepare_row_options(const GenerationOptions& options) {
  constexpr uint32_t kMostTopLogprobs = 20;
  const int32_t vocabulary = tokenizer_.vocab_size();
  for (const auto& [id, bias] : options.logit_bias) {
    if (id < 0 || id >= vocabulary) {
      fail(ErrorCode::invalid_request, "logit_bias names token id " + std::to_string(id) +
                                           ", outside the vocabulary of " +
                                           std::to_string(vocabulary) + " tokens");
      return false;
    }
    if (std::isnan(bias)) {
      fail(ErrorCode::invalid_request,
           "logit_bias for token id " + std::to_string(id) + " is not a number");
      return false;
    }
  }
  if (options.top_logprobs > kMostTopLogprobs) {
    fail(ErrorCode::invalid_request, "top_logprobs must be at most " +
                                         std::to_string(kMostTopLogprobs) + ", got " +
                                         std::to_string(options.top_logprobs));
    return false;
  }
  logit_bias_ = options.logit_bias;
  logprobs_ = options.logprobs || options.top_logprobs > 0;
  top_logprobs_ = options.top_logprobs;
  if (options.grammar.empty()) {
    if (options.grammar_trigger.empty()) return true;
    fail(ErrorCode::invalid_request, "a grammar trigger was given without a grammar");
    return false;
  }
  try {
    if (!settings_.grammars)
      settings_.grammars = std::make_shared<grammar::GrammarCache>(tokenizer_);
    // SentencePiece drops the first word's space only when nothing before it made text.
    bool strip = tokenizer_.strips_leading_space() && tokenizer_.decode(pending_).empty();
    grammar_.emplace(settings_.grammars->get(options.grammar), tokenizer_, options.grammar_trigger,
                     strip);
  } catch (const Error& error) {
    fail(ErrorCode::invalid_request, error.what());
    return false;
  }
  return true;
}

std::optional<ErrorEvent> Generator::prompt_problem() const {
  if (pending_.empty()) {
    return ErrorEvent{ErrorCode::invalid_request,
                      "the prompt is empty: there is nothing to continue"};
  }
  const int32_t vocabulary = tokenizer_.vocab_size();
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (pending_[i] < 0 || pending_[i] >= vocabulary) {
      return ErrorEvent{ErrorCode::invalid_request, "prompt token " + std::to_string(i) +
                                                        " has id " + std::to_string(pending_[i]) +
                                                        ", outside the vocabulary of " +
                                                        std::to_string(vocabulary) + " tokens"};
    }
  }
  if (settings_.context_length != 0 && pending_.size() > settings_.context_length) {
    return ErrorEvent{ErrorCode::prompt_too_long, "the prompt has " +
                                                      std::to_string(pending_.size()) +
                                                      " tokens but the context holds only " +
                                                      std::to_string(settings_.context_length)};
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
  // needs_logits() without its second look at the cancel flag: a client's cancel lands from
  // another thread, and one between the two looks made a valid call look like a caller's
  // mistake (an uncaught internal error on the scheduler thread, seen once in an 11-minute
  // soak). A cancel from here on is seen by the next step.
  if (finished_ || position_ == 0 || pending_offset_ != pending_.size()) {
    throw Error(ErrorCode::internal, "generator: logits given while input is still pending");
  }
  // A model's output matrix may be padded past the tokenizer's vocabulary; those entries
  // are no tokens and are never sampled.
  const auto vocabulary = static_cast<size_t>(tokenizer_.vocab_size());
  const size_t rows = logit_rows();
  if (logits.size() % rows != 0 || logits.size() / rows < vocabulary) {
    fail(ErrorCode::internal, "generator: " + std::to_string(logits.size()) + " logits for " +
                                  std::to_string(rows) + " rows, but the vocabulary has " +
                                  std::to_string(vocabulary) + " tokens");
    return;
  }
  const size_t width = logits.size() / rows;
  const std::vector<TokenId> drafts(pending_.end() - static_cast<std::ptrdiff_t>(drafts_),
                                    pending_.end());
  speculation_.drafted += drafts.size();
  const uint32_t first_position = position_ - static_cast<uint32_t>(rows);
  // Row i is sampled with the context as a plain decode would hold it there: the tokens up to
  // row i's own. Its token is kept when it is the draft fed in the next row.
  for (size_t row = 0;; ++row) {
    position_ = first_position + static_cast<uint32_t>(row) + 1;
    if (!sample_row(logits.subspan(row * width, vocabulary), shared)) return;
    const TokenId token = generated_.back();
    if (row == drafts.size() || token != drafts[row]) {
      queue_next(token, drafts.size() - row);
      return;
    }
    ++speculation_.accepted;
  }
}

bool Generator::sample_row(std::span<const float> logits, SamplingScratch* shared) {
  TokenId token;
  std::span<const float> row;
  try {
    bool proceed = true;
    row = adjusted_row(logits, proceed);
    if (!proceed) return false;
    token = shared ? sampler_.sample(row, *shared) : sampler_.sample(row);
  } catch (const Error& error) {
    fail(error.code(), error.what());
    return false;
  }
  if (grammar_) {
    const bool was_active = grammar_->active();
    if (!grammar_->accept(token)) {
      if (was_active) {
        fail(ErrorCode::internal, "generator: the sampler chose token " + std::to_string(token) +
                                      ", which the grammar mask had excluded");
      } else {
        fail(ErrorCode::invalid_request,
             "grammar: the output from the grammar's trigger on does not fit the grammar");
      }
      return false;
    }
  }
  return handle_token(token, row);
}

void Generator::queue_next(TokenId token, size_t refused) {
  pending_.assign(1, token);
  pending_offset_ = 0;
  drafts_ = 0;
  if (!speculator_) return;
  if (refused > 0) speculator_->rollback(refused);
  speculator_->accept(std::span<const TokenId>(generated_).subspan(told_speculator_));
  told_speculator_ = generated_.size();
  draft_after_pending();
}

void Generator::draft_after_pending() {
  append_drafts(speculator_->draft());
}

size_t Generator::draft_room() const {
  if (!decoding()) return 0;
  // The pending token goes to slot position_, its drafts after it; the last token generated
  // is never fed, so a draft that could only be the max_tokens-th token is no use either.
  int64_t room = static_cast<int64_t>(max_tokens_) - static_cast<int64_t>(generated_.size()) - 1;
  if (settings_.context_length != 0) {
    room = std::min<int64_t>(room, static_cast<int64_t>(settings_.context_length) - position_ - 1);
  }
  return static_cast<size_t>(std::max<int64_t>(room, 0));
}

void Generator::append_drafts(std::vector<TokenId> drafts) {
  const auto vocabulary = static_cast<int64_t>(tokenizer_.vocab_size());
  if (const auto bad = fit_drafts(drafts, static_cast<int64_t>(draft_room()), vocabulary)) {
    fail(ErrorCode::internal, draft_outside_vocabulary(*bad, vocabulary));
    return;
  }
  pending_.insert(pending_.end(), drafts.begin(), drafts.end());
  drafts_ = drafts.size();
}

void Generator::propose_drafts(std::vector<TokenId> drafts) {
  if (!decoding() || drafts_ != 0 || drafts.empty()) return;
  append_drafts(std::move(drafts));
}

void Generator::speculate_with(std::unique_ptr<Speculator> speculator) {
  if (position_ != 0 || pending_offset_ != 0) {
    throw Error(ErrorCode::internal, "generator: speculate_with() after input was consumed");
  }
  speculator_ = std::move(speculator);
  if (!speculator_) return;
  speculator_->reset();
  speculator_->accept(pending_);  // the prompt
}

bool Generator::decoding() const {
  return !finished() && !generated_.empty() && pending_offset_ == 0;
}

void Generator::limit_drafts(size_t keep) {
  if (pending_offset_ != 0 || keep >= drafts_) return;
  pending_.resize(pending_.size() - (drafts_ - keep));
  drafts_ = keep;
}

std::span<const float> Generator::adjusted_row(std::span<const float> logits, bool& proceed) {
  const bool masked = grammar_ && grammar_->active();
  if (logit_bias_.empty() && !masked) return logits;
  adjusted_.assign(logits.begin(), logits.end());
  for (const auto& [id, bias] : logit_bias_) adjusted_[static_cast<size_t>(id)] += bias;
  if (!masked) return adjusted_;
  auto mask = grammar_->mask();
  if (!mask->any_text) {
    proceed = false;
    if (mask->can_end) {
      finish(StopReason::end, true);  // the text is complete and nothing may follow
    } else {
      fail(ErrorCode::invalid_request,
           "grammar: no token of the vocabulary can continue the text generated so far");
    }
    return {};
  }
  constexpr float kForbidden = -std::numeric_limits<float>::infinity();
  const size_t size = adjusted_.size();
  for (size_t word = 0; word < mask->bits.size(); ++word) {
    uint64_t allowed = mask->bits[word];
    if (allowed == ~uint64_t{0}) continue;
    const size_t first = word * 64;
    const size_t last = std::min(first + 64, size);
    if (allowed == 0) {  // most words in a structural state: one vectorised fill
      std::fill(adjusted_.begin() + static_cast<std::ptrdiff_t>(first),
                adjusted_.begin() + static_cast<std::ptrdiff_t>(last), kForbidden);
      continue;
    }
    for (size_t i = first; i < last; ++i) {
      if (!((allowed >> (i - first)) & 1)) adjusted_[i] = kForbidden;
    }
  }
  // Output rows past the tokenizer's vocabulary (a padded head) have no text to match.
  if (mask->bits.size() * 64 < size) {
    std::fill(adjusted_.begin() + static_cast<std::ptrdiff_t>(mask->bits.size() * 64),
              adjusted_.end(), kForbidden);
  }
  return adjusted_;
}

bool Generator::handle_token(TokenId token, std::span<const float> row) {
  last_token_ = now();
  if (!first_token_) first_token_ = last_token_;
  generated_.push_back(token);
  sampler_.accept(token);

  if (tokenizer_.is_end_of_generation(token)) {
    finish(StopReason::end, true);
    return false;
  }
  TokenEvent event{detokenizer_->push(token), token};
  if (logprobs_) {
    // The distribution the sampler started from (after logit_bias and the grammar mask),
    // at temperature 1: docs/sampling.md.
    const double normalizer = log_sum_exp(row);
    const auto bytes = tokenizer_.token_bytes(token);
    event.logprob = weft::TokenLogprob{
        token, bytes, static_cast<float>(row[static_cast<size_t>(token)] - normalizer)};
    if (top_logprobs_ > 0) {
      for (const auto& top : top_logprobs(row, top_logprobs_)) {
        if (std::isinf(top.logprob)) break;  // masked tokens are no alternatives
        event.top_logprobs.push_back(
            weft::TokenLogprob{top.id, tokenizer_.token_bytes(top.id), top.logprob});
      }
    }
  }
  if (!emit_text(std::move(event))) return false;
  if (generated_.size() >= max_tokens_) {
    finish(StopReason::length, true);
    return false;
  }
  // The sampled token is emitted either way; feeding it needs one more slot in the context.
  if (settings_.context_length != 0 && position_ + 1 > settings_.context_length) {
    finish(StopReason::length, true);
    return false;
  }
  return true;
}

bool Generator::emit_text(TokenEvent event) {
  auto step = stops_.feed(event.text);
  event.text = std::move(step.emit);
  if (!channel_.token(std::move(event))) {
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
