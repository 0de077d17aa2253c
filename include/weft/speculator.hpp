// Draft proposers for speculative decoding with weft::Generator (weft/generator.hpp). A
// generator with a speculator appends its next token together with the speculator's drafts
// in one model pass, samples at every row, keeps the drafts its own samples agree with, and
// truncates the rest away. The tokens produced are those of the same generator without a
// speculator (the same sampler draws, in the same order), in fewer model passes when the
// drafts are good.
//
// Threads: a speculator is called by the generator's thread only. Errors: a draft with an
// id outside the vocabulary makes Generator::step() throw weft::Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>
#include <weft/export.hpp>

namespace weft {

class WEFT_EXPORT Speculator {
 public:
  virtual ~Speculator() = default;
  // Tokens to follow the sequence so far (everything accept() was given); empty: no guess.
  virtual std::vector<int32_t> draft() = 0;
  // Tokens that are now part of the sequence: the context's tokens when a generator starts,
  // then each token it produces (the next round's first token before its drafts).
  virtual void accept(std::span<const int32_t> tokens) = 0;
  // The last `drafts` tokens of the latest draft were rejected (called before accept()).
  virtual void rollback(size_t drafts) = 0;
  // Forget everything (a generator calls it when it starts).
  virtual void reset() = 0;
};

// Prompt-lookup drafting: finds the latest earlier occurrence of the sequence's last n - 1
// tokens (then shorter suffixes, down to one token) and proposes up to max_draft tokens
// that followed it. Good on answers that repeat or quote their input.
class WEFT_EXPORT NgramSpeculator final : public Speculator {
 public:
  // Throws weft::Error for n < 2 or max_draft < 1.
  explicit NgramSpeculator(size_t n = 3, size_t max_draft = 4);

  std::vector<int32_t> draft() override;
  void accept(std::span<const int32_t> tokens) override;
  void rollback(size_t) override {}  // drafts never enter the history
  void reset() override { history_.clear(); }

 private:
  std::vector<int32_t> history_;
  size_t n_;
  size_t max_draft_;
};

}  // namespace weft
