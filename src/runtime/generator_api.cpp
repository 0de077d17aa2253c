// weft::Generator (include/weft/generator.hpp) over the public Context and Sampler.
#include "weft/generator.hpp"

#include <algorithm>
#include <numeric>

#include "runtime/draft_fit.hpp"
#include "weft/error.hpp"

namespace weft {

Generator::Generator(ContextRuntime& runtime, Context& context, GeneratorOptions options,
                     ConstraintSet* constraints)
    : context_(context),
      constraints_(constraints),
      sampler_(options.sampling),
      stops_(std::move(options.stop_tokens)),
      max_tokens_(options.sampling.max_tokens),
      context_length_(runtime.context_length()),
      speculator_(options.speculator),
      vocabulary_size_(runtime.vocabulary_size()) {
  if (context.length() == 0) {
    throw Error("a generator needs a context that holds at least one token");
  }
  if (options.model_stop_tokens) {
    const auto model_stops = runtime.stop_tokens();
    stops_.insert(stops_.end(), model_stops.begin(), model_stops.end());
  }
  std::ranges::sort(stops_);
  stops_.erase(std::unique(stops_.begin(), stops_.end()), stops_.end());
  sampler_.observe_prompt(context.tokens());
  if (speculator_) {
    speculator_->reset();
    speculator_->accept(context.tokens());
  }
  if (max_tokens_ == 0) stop_ = GeneratorStop::max_tokens;
  if (context.length() >= context_length_) stop_ = GeneratorStop::context_length;
}

std::optional<int32_t> Generator::step() {
  if (unread_.empty()) {
    const auto settled = advance();
    unread_.insert(unread_.end(), settled.begin(), settled.end());
  }
  if (unread_.empty()) return std::nullopt;
  const int32_t token = unread_.front();
  unread_.pop_front();
  return token;
}

std::vector<int32_t> Generator::advance() {
  if (!unread_.empty()) {
    std::vector<int32_t> settled(unread_.begin(), unread_.end());
    unread_.clear();
    return settled;
  }
  if (done()) return {};
  const int32_t first = next_ ? *next_ : sample(context_.logits());
  next_.reset();
  if (!speculator_) {
    if (!take(first)) return {};
    ++speculation_.passes;
    return {first};
  }
  if (!admit(first)) return {};
  auto drafts = draft_after(first);
  if (drafts.empty()) {
    context_.append(std::span<const int32_t>(&first, 1));
    record(first, context_.length());
    ++speculation_.passes;
    return {first};
  }
  return verify(first, std::move(drafts));
}

std::vector<int32_t> Generator::draft_after(int32_t first) {
  speculator_->accept(std::span<const int32_t>(&first, 1));
  auto drafts = speculator_->draft();
  // Room for `first` and the drafts: past max_tokens or the context they could not be kept.
  const auto room = std::min<int64_t>(static_cast<int64_t>(max_tokens_ - tokens_.size()) - 1,
                                      context_length_ - context_.length() - 1);
  if (const auto bad = runtime::fit_drafts(drafts, room, vocabulary_size_)) {
    // The generator's own token is kept, so the generation can go on without the speculator.
    context_.append(std::span<const int32_t>(&first, 1));
    record(first, context_.length());
    throw Error(runtime::draft_outside_vocabulary(*bad, vocabulary_size_));
  }
  speculation_.drafted += drafts.size();
  return drafts;
}

std::vector<int32_t> Generator::verify(int32_t first, std::vector<int32_t> drafts) {
  std::vector<int32_t> rows_tokens{first};
  rows_tokens.insert(rows_tokens.end(), drafts.begin(), drafts.end());
  std::vector<int64_t> rows(rows_tokens.size());
  std::iota(rows.begin(), rows.end(), 0);
  const int64_t start = context_.length();
  const auto logits = context_.append_with_logits(rows_tokens, rows);
  ++speculation_.passes;
  const auto row = [&](size_t index) {
    return std::span<const float>(logits).subspan(index * static_cast<size_t>(vocabulary_size_),
                                                  static_cast<size_t>(vocabulary_size_));
  };
  std::vector<int32_t> settled{first};
  record(first, start + 1);
  size_t kept = 0;
  // The token after row `kept` is sampled exactly as a plain step would sample it there.
  while (kept < drafts.size() && !done()) {
    const int32_t token = sample(row(kept));
    if (token != drafts[kept]) {
      next_ = token;
      break;
    }
    if (!admit(token)) break;
    ++kept;
    record(token, start + 1 + static_cast<int64_t>(kept));
    settled.push_back(token);
  }
  speculation_.accepted += kept;
  if (kept < drafts.size()) {
    context_.truncate(start + 1 + static_cast<int64_t>(kept), row(kept));
    speculator_->rollback(drafts.size() - kept);
  }
  speculator_->accept(std::span(drafts).first(kept));
  return settled;
}

size_t Generator::accept(std::span<const int32_t> tokens) {
  next_.reset();  // an outside choice replaces the token sampled for the next pass
  size_t appended = 0;
  for (int32_t token : tokens) {
    if (done() || !take(token)) break;
    if (speculator_) speculator_->accept(std::span<const int32_t>(&token, 1));
    ++appended;
  }
  return appended;
}

int32_t Generator::sample(std::span<const float> logits) {
  return constraints_ ? sampler_.sample(logits, constraints_->mask()) : sampler_.sample(logits);
}

bool Generator::admit(int32_t token) {
  if (constraints_ && !constraints_->accept(token)) {
    stop_ = GeneratorStop::constraint;
    return false;
  }
  sampler_.accept(token);
  if (std::ranges::binary_search(stops_, token)) {
    stop_ = GeneratorStop::stop_token;
    return false;
  }
  return true;
}

void Generator::record(int32_t token, int64_t length) {
  tokens_.push_back(token);
  if (tokens_.size() >= max_tokens_) {
    stop_ = GeneratorStop::max_tokens;
  } else if (length >= context_length_) {
    stop_ = GeneratorStop::context_length;
  }
}

bool Generator::take(int32_t token) {
  if (!admit(token)) return false;
  context_.append(std::span<const int32_t>(&token, 1));
  record(token, context_.length());
  return true;
}

}  // namespace weft
