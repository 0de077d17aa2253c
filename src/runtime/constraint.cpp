// weft::Constraint and weft::ConstraintSet (include/weft/constraint.hpp) over the grammar
// engine's TokenMatcher, with the runtime's grammar cache (one per tokenizer) so that
// constraints on the same grammar share its compiled rules and cached masks.
#include "weft/constraint.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>

#include "grammar/json_schema.hpp"
#include "grammar/regex.hpp"
#include "grammar/token_matcher.hpp"
#include "runtime/context_state.hpp"
#include "weft/context.hpp"
#include "weft/error.hpp"

namespace weft {

struct Constraint::Impl {
  grammar::TokenMatcher matcher;
  int64_t vocabulary_size;  // the model's logit rows (may exceed the tokenizer's vocabulary)
};

namespace {

std::string schema_to_gbnf(std::string_view schema_text) {
  auto schema = nlohmann::ordered_json::parse(schema_text, nullptr, false);
  if (schema.is_discarded()) throw Error("json schema: not valid JSON");
  return grammar::json_schema_to_gbnf(schema);
}

}  // namespace

Constraint::Constraint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Constraint::Constraint(Constraint&&) noexcept = default;
Constraint& Constraint::operator=(Constraint&&) noexcept = default;
Constraint::~Constraint() = default;

Constraint Constraint::gbnf(ContextRuntime& runtime, std::string_view grammar_text) {
  auto& state = detail::ContextRuntimeAccess::state(runtime);
  auto compiled = state.text().grammars->get(grammar_text);
  return Constraint(std::make_unique<Impl>(
      Impl{grammar::TokenMatcher(std::move(compiled)), runtime.vocabulary_size()}));
}

Constraint Constraint::json_schema(ContextRuntime& runtime, std::string_view schema) {
  return gbnf(runtime, schema_to_gbnf(schema));
}

Constraint Constraint::regex(ContextRuntime& runtime, std::string_view pattern) {
  return gbnf(runtime, grammar::whole_text_regex_to_gbnf(pattern));
}

Constraint Constraint::any_json(ContextRuntime& runtime) {
  return gbnf(runtime, grammar::free_form_json_gbnf());
}

TokenMask Constraint::mask() {
  // Ids past the tokenizer's vocabulary (padded output rows) have no bits: they have no text.
  return TokenMask(impl_->vocabulary_size, impl_->matcher.mask()->bits);
}

bool Constraint::accept(int32_t token) {
  if (token < 0 || token >= impl_->vocabulary_size) return false;
  return impl_->matcher.accept(token);
}

void Constraint::rollback(size_t tokens) {
  impl_->matcher.rollback(tokens);
}
bool Constraint::can_end() const {
  return impl_->matcher.can_end();
}
bool Constraint::ended() const {
  return impl_->matcher.ended();
}
size_t Constraint::accepted_tokens() const {
  return impl_->matcher.accepted_tokens();
}

void ConstraintSet::add(Constraint constraint) {
  constraints_.push_back(std::move(constraint));
}

TokenMask ConstraintSet::mask() {
  if (constraints_.empty()) throw Error("constraint set: no constraint was added");
  TokenMask combined = constraints_.front().mask();
  for (size_t i = 1; i < constraints_.size(); ++i) combined &= constraints_[i].mask();
  return combined;
}

bool ConstraintSet::accept(int32_t token) {
  for (size_t i = 0; i < constraints_.size(); ++i) {
    if (constraints_[i].accept(token)) continue;
    for (size_t done = 0; done < i; ++done) constraints_[done].rollback(1);
    return false;
  }
  return true;
}

void ConstraintSet::rollback(size_t tokens) {
  for (auto& constraint : constraints_) constraint.rollback(tokens);
}

bool ConstraintSet::can_end() const {
  for (const auto& constraint : constraints_) {
    if (!constraint.can_end()) return false;
  }
  return true;
}

bool ConstraintSet::ended() const {
  if (constraints_.empty()) return false;
  for (const auto& constraint : constraints_) {
    if (!constraint.ended()) return false;
  }
  return true;
}

}  // namespace weft
