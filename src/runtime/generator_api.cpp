// weft::Generator (include/weft/generator.hpp) over the public Context and Sampler.
#include "weft/generator.hpp"

#include <algorithm>

#include "weft/error.hpp"

namespace weft {

Generator::Generator(ContextRuntime& runtime, Context& context, GeneratorOptions options,
                     ConstraintSet* constraints)
    : context_(context),
      constraints_(constraints),
      sampler_(options.sampling),
      stops_(std::move(options.stop_tokens)),
      max_tokens_(options.sampling.max_tokens),
      context_length_(runtime.context_length()) {
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
  if (max_tokens_ == 0) stop_ = GeneratorStop::max_tokens;
  if (context.length() >= context_length_) stop_ = GeneratorStop::context_length;
}

std::optional<int32_t> Generator::step() {
  if (done()) return std::nullopt;
  const auto logits = context_.logits();
  const int32_t token =
      constraints_ ? sampler_.sample(logits, constraints_->mask()) : sampler_.sample(logits);
  if (!take(token)) return std::nullopt;
  return token;
}

size_t Generator::accept(std::span<const int32_t> tokens) {
  size_t appended = 0;
  for (int32_t token : tokens) {
    if (done() || !take(token)) break;
    ++appended;
  }
  return appended;
}

bool Generator::take(int32_t token) {
  if (constraints_ && !constraints_->accept(token)) {
    stop_ = GeneratorStop::constraint;
    return false;
  }
  sampler_.accept(token);
  if (std::ranges::binary_search(stops_, token)) {
    stop_ = GeneratorStop::stop_token;
    return false;
  }
  context_.append(std::span<const int32_t>(&token, 1));
  tokens_.push_back(token);
  if (tokens_.size() >= max_tokens_) {
    stop_ = GeneratorStop::max_tokens;
  } else if (context_.length() >= context_length_) {
    stop_ = GeneratorStop::context_length;
  }
  return true;
}

}  // namespace weft
