// One sequence's generation as a state machine with no model inside: whoever owns the model
// (the native backend, or the scheduler batching many sequences into one call) asks it what
// to feed, feeds it, and hands back the logits row of the last token fed.
//
//   while (!g.finished()) {
//     auto input = g.pending_input();          // prompt first, later the last sampled token
//     size_t n = std::min(input.size(), budget);  // prompts may go in chunks
//     ... append input[0..n) at positions g.position() ... into the batch ...
//     g.consume_input(n);
//     if (g.needs_logits()) ... ask the model for this sequence's last row ...
//     ... run the model ...
//     if (g.needs_logits()) g.on_logits(row);  // samples, checks stops, emits events
//   }
//
// With a speculator (speculate_with), each decode's pending input is the sampled token followed
// by drafted tokens; the driver feeds them all in one model call and hands on_logits() the
// logits of every one of those rows, and afterwards cuts the sequence's KV cache back to
// position(): the rows after the first refused draft are not part of the sequence.
//
// Events go to the GenerationChannel: a TokenEvent per sampled token (carrying its id; text
// may be empty while UTF-8 or a possible stop string is held back, and a last event without
// an id may carry the held-back text at the end), then exactly one DoneEvent or ErrorEvent.
// Not thread-safe: one thread drives a generator (the channel itself is thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "grammar/grammar_cache.hpp"
#include "grammar/triggered_matcher.hpp"
#include "runtime/sampler.hpp"
#include "runtime/stop_matcher.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/generation.hpp"
#include "weft/speculator.hpp"
#include "weft/types.hpp"

namespace weft::runtime {

struct GeneratorSettings {
  // The most tokens the context may hold (prompt + generated); 0 = no limit. Reaching it
  // ends the generation with StopReason::length; a prompt longer than it is an error.
  uint32_t context_length = 0;
  // Injected so that tests can check timings exactly; steady_clock when empty.
  std::function<std::chrono::steady_clock::time_point()> clock = {};
  // Compiled grammars shared between the sequences of one tokenizer; when empty, a
  // generation with a grammar compiles its own.
  std::shared_ptr<grammar::GrammarCache> grammars = {};
};

class Generator {
 public:
  // The prompt must not be empty (a sequence needs at least one row to produce logits).
  // Invalid options end the generation at once with an ErrorEvent(invalid_request).
  Generator(const tokenizer::Tokenizer& tokenizer, const GenerationOptions& options,
            std::vector<TokenId> prompt, GenerationChannel channel,
            GeneratorSettings settings = {});

  // Tokens to append to the context next; empty while logits are awaited or once finished.
  std::span<const TokenId> pending_input() const;
  // The first `count` pending tokens have been placed in a model call.
  void consume_input(size_t count);
  // The first `count` prompt tokens are already in the sequence's KV cache (adopted from the
  // prefix cache): they are not fed, and the usage reports them as cached. Only before any
  // input was consumed, and never the whole prompt (the last token's logits are needed).
  void skip_cached_prefix(size_t count);
  // Tokens in the context so far: the position of the next token fed. After a decode with
  // drafts, the tokens to keep: rows past it held refused drafts.
  uint32_t position() const { return position_; }

  // Speculative decoding: from the next sampled token on, each decode also feeds the tokens
  // `speculator` drafts after it (cut to the room max_tokens and the context leave). The
  // tokens generated are those of the same generation without it: each row is sampled with
  // the same sampler draws, in the same order, and a draft is kept only when the token sampled
  // before it is that draft. Only before any input was consumed.
  void speculate_with(std::unique_ptr<Speculator> speculator);
  // A decode is pending: the last sampled token (and its drafts), none of it consumed yet.
  bool decoding() const;
  // Drops all but the first `keep` drafts of a pending decode (its model call has no more
  // room). Ignored once some of the decode was consumed.
  void limit_drafts(size_t keep);
  // The most drafts a pending decode could use: a draft past max_tokens or the context could
  // never be kept. 0 when no decode is pending.
  size_t draft_room() const;
  // Drafts proposed by the driver for a pending decode that has none (a draft model that runs
  // batched over many sequences, outside the generator): appended to the pending token as a
  // speculator's would be, cut to draft_room(). The same rule keeps them (the tokens are those
  // of the generation without drafts). Ignored unless decoding() with no drafts yet; an id
  // outside the vocabulary fails the generation.
  void propose_drafts(std::vector<TokenId> drafts);

  // True when every pending token has been consumed and the logits row of the last one (and
  // of each draft) is what this sequence needs next.
  bool needs_logits() const;
  // The logits rows on_logits() takes: the decode's token's row, then one per draft.
  size_t logit_rows() const { return 1 + drafts_; }
  // Samples from the rows in order, runs the stop checks, emits events. Only valid while
  // needs_logits(). `logits` is logit_rows() rows of equal length one after another; entries
  // past the tokenizer's vocabulary (a padded output matrix) are ignored.
  void on_logits(std::span<const float> logits);
  // As above, with working memory shared between the sequences of a batch (the overload
  // without it uses the sampler's own, which then lives as long as this sequence).
  void on_logits(std::span<const float> logits, SamplingScratch& scratch);

  // Finished: ended normally, failed, or cancelled by the consumer (then the stream already
  // got done(cancelled) and nothing more is emitted). The driver should drop the sequence.
  bool finished() const;

  // For the driver when a model call this sequence was in failed (e.g. the KV pool ran out):
  // ends the generation with an ErrorEvent. Ignored once finished.
  void fail(ErrorCode code, std::string message);

  std::span<const TokenId> generated() const { return generated_; }
  const Sampler& sampler() const { return sampler_; }

  // Drafted tokens fed to the model, and those of them kept as generated tokens.
  struct Speculation {
    uint64_t drafted = 0;
    uint64_t accepted = 0;
  };
  const Speculation& speculation() const { return speculation_; }

 private:
  using Clock = std::chrono::steady_clock;

  Clock::time_point now() const;
  std::optional<ErrorEvent> prompt_problem() const;
  // `shared` null: the sampler's own scratch.
  void sample_and_emit(std::span<const float> logits, SamplingScratch* shared);
  // Samples the next token from one row and emits it; false when the generation ended.
  bool sample_row(std::span<const float> logits, SamplingScratch* shared);
  // After a row whose sampled `token` continues the generation (not one of the fed drafts):
  // it is the next input, followed by new drafts. `refused`: drafts of the last decode not kept.
  void queue_next(TokenId token, size_t refused);
  // Appends the speculator's drafts, fitted to the room left, to the pending token.
  void draft_after_pending();
  void append_drafts(std::vector<TokenId> drafts);
  // Validates logit_bias and the logprob options; sets up the grammar. False: failed.
  bool prepare_row_options(const GenerationOptions& options);
  // The row the sampler sees: logit_bias added, tokens the grammar forbids at -inf. Returns
  // `logits` itself when nothing applies. False in `proceed`: the generation ended here.
  std::span<const float> adjusted_row(std::span<const float> logits, bool& proceed);
  // False when the token ended the generation.
  bool handle_token(TokenId token, std::span<const float> row);
  // Emits text through the stop matcher; returns false when the generation must stop.
  bool emit_text(TokenEvent event);
  void finish(StopReason reason, bool flush_held_text);

  const tokenizer::Tokenizer& tokenizer_;
  GenerationChannel channel_;
  GeneratorSettings settings_;
  uint32_t max_tokens_;
  Sampler sampler_;
  StopMatcher stops_;
  // Built once the prompt is validated: it continues after the prompt's text.
  std::optional<tokenizer::StreamingDetokenizer> detokenizer_;
  std::vector<std::pair<TokenId, float>> logit_bias_;
  bool logprobs_ = false;
  uint32_t top_logprobs_ = 0;
  std::optional<grammar::TriggeredMatcher> grammar_;
  std::vector<float> adjusted_;  // the row after logit_bias and the grammar mask

  std::vector<TokenId> pending_;
  size_t pending_offset_ = 0;
  size_t drafts_ = 0;  // the last drafts_ pending tokens are drafts
  std::unique_ptr<Speculator> speculator_;
  size_t told_speculator_ = 0;  // generated tokens the speculator has been given
  Speculation speculation_;
  std::vector<TokenId> generated_;
  uint32_t prompt_tokens_ = 0;
  uint32_t cached_prompt_tokens_ = 0;
  uint32_t position_ = 0;
  bool finished_ = false;

  Clock::time_point created_;
  std::optional<Clock::time_point> prefill_started_;
  std::optional<Clock::time_point> first_token_;
  Clock::time_point last_token_;
};

}  // namespace weft::runtime
