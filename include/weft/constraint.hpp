// Constraints on what a context may generate next, for callers that run their own loop over
// Context (include/weft/context.hpp): a GBNF grammar, a JSON Schema, a regular expression or
// free-form JSON (docs/grammar.md), compiled against the model's vocabulary into a mask of
// the tokens allowed after the ones accepted so far. Several constraints compose by AND of
// their masks (ConstraintSet). A generation through a backend takes its grammar in
// GenerationOptions::grammar instead.
//
//   auto runtime = weft::ContextRuntime::open({.model_path = "model.gguf"});
//   weft::Context context = runtime->create();
//   context.append_text("The answer, in JSON: ");
//   weft::ConstraintSet constraints;
//   constraints.add(weft::Constraint::json_schema(*runtime, R"({"type": "integer"})"));
//   constraints.add(weft::Constraint::regex(*runtime, "[0-9]{1,3}"));
//   weft::Sampler sampler({.temperature = 0.7f, .seed = 1});   // weft/sampler.hpp
//   while (!constraints.ended()) {
//     int32_t token = sampler.sample(context.logits(), constraints.mask());
//     constraints.accept(token);       // true: the mask allowed it
//     if (!constraints.ended()) context.append({&token, 1});
//   }
//
// Errors: weft::Error(invalid_request) for a grammar, schema or pattern that does not parse
// (the message names the place, "grammar:3:7: ..."), a mask of another vocabulary's size.
// Threads: a Constraint or ConstraintSet is used by one thread at a time; compiled grammars
// are shared between the constraints of one runtime (and their masks cached), safely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "weft/export.hpp"
#include "weft/types.hpp"

namespace weft {

class ContextRuntime;

// One bit per vocabulary id (the model's logit rows): whether the token is allowed next.
class WEFT_EXPORT TokenMask {
 public:
  TokenMask() = default;
  // Every token allowed, or none.
  explicit TokenMask(int64_t vocabulary_size, bool allowed = true);
  // From words laid out as words() shows them; missing words are 0, bits past the vocabulary
  // are dropped.
  TokenMask(int64_t vocabulary_size, std::vector<uint64_t> words);

  int64_t vocabulary_size() const { return size_; }
  // False for ids outside the vocabulary.
  bool allows(int32_t token) const;
  // Throws weft::Error(invalid_request) for an id outside the vocabulary.
  void set(int32_t token, bool allowed);
  int64_t count() const;  // allowed tokens
  bool none() const { return count() == 0; }

  // AND: a token stays allowed when both masks allow it. Throws for a different size.
  TokenMask& operator&=(const TokenMask& other);
  // Sets the logits of forbidden tokens to -infinity. Throws when `logits` is not one entry
  // per vocabulary id.
  void apply(std::span<float> logits) const;
  // Bit i of word i / 64 is token i; bits past the vocabulary are 0.
  std::span<const uint64_t> words() const { return words_; }

 private:
  int64_t size_ = 0;
  std::vector<uint64_t> words_;
};

// A grammar and where the text accepted so far has reached in it. The end-of-generation
// tokens are allowed exactly when the text so far is complete; after one is accepted,
// nothing is.
class WEFT_EXPORT Constraint {
 public:
  static Constraint gbnf(ContextRuntime& runtime, std::string_view grammar);
  static Constraint json_schema(ContextRuntime& runtime, std::string_view schema);
  static Constraint regex(ContextRuntime& runtime, std::string_view pattern);
  static Constraint any_json(ContextRuntime& runtime);

  Constraint(Constraint&&) noexcept;
  Constraint& operator=(Constraint&&) noexcept;
  ~Constraint();

  TokenMask mask();
  // Advances past `token`; false (and nothing changes) when the mask does not allow it.
  bool accept(int32_t token);
  // Forgets the last `tokens` accepted (at most all of them), e.g. a rejected draft.
  void rollback(size_t tokens);
  bool can_end() const;  // the text so far is complete
  bool ended() const;    // an end-of-generation token was accepted
  size_t accepted_tokens() const;

 private:
  struct Impl;
  explicit Constraint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Several constraints that must all hold: the mask is the AND of theirs, and a token is
// accepted by all of them or by none.
class WEFT_EXPORT ConstraintSet {
 public:
  void add(Constraint constraint);
  size_t size() const { return constraints_.size(); }

  // Throws weft::Error(invalid_request) for an empty set.
  TokenMask mask();
  bool accept(int32_t token);
  void rollback(size_t tokens);
  bool can_end() const;  // every constraint can end
  bool ended() const;    // every constraint accepted an end-of-generation token

 private:
  std::vector<Constraint> constraints_;
};

}  // namespace weft
