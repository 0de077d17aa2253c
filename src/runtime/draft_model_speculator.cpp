// weft::DraftModelSpeculator (include/weft/draft_speculator.hpp).
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "runtime/same_vocabulary.hpp"
#include "weft/draft_speculator.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

constexpr size_t kMostDraftTokens = 64;

// The token's text, or nothing for an output row past the tokenizer's vocabulary (padding).
std::optional<std::string> token_text(const ContextRuntime& runtime, int32_t token) {
  try {
    return runtime.token_bytes(token);
  } catch (const Error&) {
    return std::nullopt;
  }
}

void require_same_vocabulary(const ContextRuntime& target, const ContextRuntime& draft) {
  const auto of = [](const ContextRuntime& runtime) {
    return runtime::VocabularyOf{runtime.model_name(), runtime.vocabulary_size(),
                                 [&runtime](int32_t token) { return token_text(runtime, token); }};
  };
  runtime::require_same_vocabulary(of(target), of(draft));
}

void check_options(const DraftModelOptions& options) {
  if (options.draft_tokens < 1 || options.draft_tokens > kMostDraftTokens) {
    throw Error(ErrorCode::invalid_request, "draft tokens must be 1.." +
                                                std::to_string(kMostDraftTokens) + " (got " +
                                                std::to_string(options.draft_tokens) + ")");
  }
  if (!(options.min_probability >= 0.0f && options.min_probability <= 1.0f)) {
    throw Error(ErrorCode::invalid_request, "the draft's minimum probability must be 0..1 (got " +
                                                std::to_string(options.min_probability) + ")");
  }
}

std::shared_ptr<ContextRuntime> required(std::shared_ptr<ContextRuntime> draft) {
  if (!draft)
    throw Error(ErrorCode::invalid_request, "a draft-model speculator needs a draft model");
  return draft;
}

struct Choice {
  int32_t token;
  float probability;
};

// The most likely token (the lowest id among equals) and, when asked (a pass over the whole
// vocabulary), its softmax probability; otherwise 1.
Choice most_likely(std::span<const float> logits, bool with_probability) {
  const auto best = std::ranges::max_element(logits);
  const auto token = static_cast<int32_t>(best - logits.begin());
  if (!with_probability) return {token, 1.0f};
  double sum = 0.0;
  for (float logit : logits) sum += std::exp(static_cast<double>(logit - *best));
  return {token, static_cast<float>(1.0 / sum)};
}

}  // namespace

DraftModelSpeculator::DraftModelSpeculator(const ContextRuntime& target,
                                           std::shared_ptr<ContextRuntime> draft,
                                           DraftModelOptions options)
    : draft_runtime_(required(std::move(draft))),
      context_(draft_runtime_->create()),
      options_(options),
      stop_tokens_(draft_runtime_->stop_tokens()) {
  check_options(options_);
  require_same_vocabulary(target, *draft_runtime_);
}

void DraftModelSpeculator::accept(std::span<const int32_t> tokens) {
  history_.insert(history_.end(), tokens.begin(), tokens.end());
}

std::vector<int32_t> DraftModelSpeculator::draft() {
  const auto limit = draft_runtime_->context_length();
  // The draft context must hold the sequence and one drafted token more.
  if (history_.empty() || static_cast<int64_t>(history_.size()) + 1 >= limit) return {};
  follow_history();
  kept_from_ = context_.length();
  kept_.clear();
  std::vector<int32_t> drafts;
  while (true) {
    const auto logits = context_.logits();
    kept_.emplace_back(logits.begin(), logits.end());
    const auto choice = most_likely(logits, options_.min_probability > 0.0f);
    if (choice.probability < options_.min_probability) break;
    drafts.push_back(choice.token);
    if (drafts.size() == options_.draft_tokens || context_.length() + 1 >= limit ||
        std::ranges::binary_search(stop_tokens_, choice.token)) {
      break;
    }
    append_to_draft(std::span<const int32_t>(&choice.token, 1));
  }
  return drafts;
}

void DraftModelSpeculator::follow_history() {
  const auto& held = context_.tokens();
  const auto common =
      static_cast<int64_t>(std::ranges::mismatch(held, history_).in1 - held.begin());
  if (common < context_.length()) {
    if (common == 0) {
      context_.release();
    } else if (const auto* logits = kept_logits(common)) {
      context_.truncate(common, *logits);
    } else {
      context_.truncate(common);
    }
  }
  if (common < static_cast<int64_t>(history_.size())) {
    append_to_draft(std::span(history_).subspan(static_cast<size_t>(common)));
  }
}

const std::vector<float>* DraftModelSpeculator::kept_logits(int64_t length) const {
  const int64_t index = length - kept_from_;
  if (index < 0 || index >= static_cast<int64_t>(kept_.size())) return nullptr;
  return &kept_[static_cast<size_t>(index)];
}

void DraftModelSpeculator::append_to_draft(std::span<const int32_t> tokens) {
  context_.append(tokens);
  draft_rows_ += static_cast<int64_t>(tokens.size());
}

}  // namespace weft
