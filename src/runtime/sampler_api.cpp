// weft::Sampler (include/weft/sampler.hpp) over runtime::Sampler, with a constraint's mask
// applied to a copy of the row first.
#include <string>
#include <vector>

#include "runtime/sampler.hpp"
#include "weft/error.hpp"
#include "weft/sampler.hpp"

namespace weft {

struct Sampler::Impl {
  runtime::Sampler sampler;
  std::vector<float> masked;  // the row after the mask, reused between calls
};

Sampler::Sampler(const GenerationOptions& options)
    : impl_(std::make_unique<Impl>(
          Impl{runtime::Sampler(runtime::SamplerConfig::from_options(options)), {}})) {}
Sampler::Sampler(Sampler&&) noexcept = default;
Sampler& Sampler::operator=(Sampler&&) noexcept = default;
Sampler::~Sampler() = default;

int32_t Sampler::sample(std::span<const float> logits) {
  if (logits.empty()) throw Error("sampler: no logits (the context is empty)");
  return impl_->sampler.sample(logits);
}

int32_t Sampler::sample(std::span<const float> logits, const TokenMask& mask) {
  if (mask.none()) throw Error("sampler: the constraints allow no token here");
  impl_->masked.assign(logits.begin(), logits.end());
  mask.apply(impl_->masked);  // throws for a mask of another size
  return impl_->sampler.sample(impl_->masked);
}

void Sampler::observe_prompt(std::span<const int32_t> tokens) {
  impl_->sampler.observe_prompt(tokens);
}

void Sampler::accept(int32_t token) {
  impl_->sampler.accept(token);
}

uint64_t Sampler::seed() const {
  return impl_->sampler.config().seed;
}

}  // namespace weft
