// Matchers: compiled grammars and the position reached in them.
#include "program/program_ops.hpp"

#include "program/brle.hpp"
#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::program {
namespace {

using nlohmann::json;

json op_matcher_new(State& state, const json& request) {
  const auto kind = string_field(request, "kind");
  auto& runtime = *state.runtime;
  auto make = [&]() -> Constraint {
    if (kind == "any_json") return Constraint::any_json(runtime);
    const auto source = string_field(request, "source");
    if (kind == "json_schema") return Constraint::json_schema(runtime, source);
    if (kind == "regex") return Constraint::regex(runtime, source);
    if (kind == "ebnf" || kind == "gbnf") return Constraint::gbnf(runtime, source);
    throw Error("matcher: unknown kind '" + kind + "' (json_schema, regex, ebnf, any_json)");
  };
  auto matcher = std::make_shared<Guarded<Constraint>>(make());
  const sync::MutexLock lock(state.mutex);
  const int64_t handle = new_handle(state);
  state.matchers.emplace(handle, std::move(matcher));
  return {{"matcher", handle}};
}

json op_matcher_accept(State& state, const json& request) {
  auto matcher = matcher_slot(state, integer_field(request, "matcher"));
  const auto tokens = token_field(state, request, "tokens");
  const sync::MutexLock lock(matcher->mutex);
  size_t accepted = 0;
  while (accepted < tokens.size() && matcher->value.accept(tokens[accepted])) ++accepted;
  return {{"accepted", accepted}};
}

json op_matcher_mask(State& state, const json& request) {
  auto matcher = matcher_slot(state, integer_field(request, "matcher"));
  const sync::MutexLock lock(matcher->mutex);
  return {{"mask", brle_from_mask(matcher->value.mask())}};
}

json op_matcher_state(State& state, const json& request) {
  auto matcher = matcher_slot(state, integer_field(request, "matcher"));
  const sync::MutexLock lock(matcher->mutex);
  return {{"terminated", matcher->value.ended()},
          {"can_end", matcher->value.can_end()},
          {"accepted_tokens", matcher->value.accepted_tokens()}};
}

json op_matcher_rollback(State& state, const json& request) {
  auto matcher = matcher_slot(state, integer_field(request, "matcher"));
  const int64_t tokens = integer_field(request, "tokens");
  if (tokens < 0) throw Error("'tokens' must not be negative");
  const sync::MutexLock lock(matcher->mutex);
  matcher->value.rollback(static_cast<size_t>(tokens));
  return json::object();
}

json op_matcher_reset(State& state, const json& request) {
  auto matcher = matcher_slot(state, integer_field(request, "matcher"));
  const sync::MutexLock lock(matcher->mutex);
  matcher->value.rollback(matcher->value.accepted_tokens());
  return json::object();
}

json op_matcher_free(State& state, const json& request) {
  const int64_t handle = integer_field(request, "matcher");
  matcher_slot(state, handle);  // throws for an unknown handle
  const sync::MutexLock lock(state.mutex);
  state.matchers.erase(handle);
  return json::object();
}

}  // namespace

void add_matcher_operations(OperationTable& table) {
  table["matcher_new"] = op_matcher_new;
  table["matcher_accept"] = op_matcher_accept;
  table["matcher_mask"] = op_matcher_mask;
  table["matcher_state"] = op_matcher_state;
  table["matcher_rollback"] = op_matcher_rollback;
  table["matcher_reset"] = op_matcher_reset;
  table["matcher_free"] = op_matcher_free;
}

}  // namespace weft::program
