// The operations of the program protocol (docs/programs.md, "Operations").
#include <algorithm>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "program/brle.hpp"
#include "program/program_state.hpp"
#include "program/row_ops.hpp"
#include "protocol/base64.hpp"
#include "weft/error.hpp"
#include "weft/version.hpp"

namespace weft::program {
namespace {

using nlohmann::json;
using State = ProgramSession::State;

const json& required(const json& request, const char* name) {
  const auto found = request.find(name);
  if (found == request.end()) throw Error(std::string("'") + name + "' is required");
  return *found;
}

std::string string_field(const json& request, const char* name) {
  const auto& value = required(request, name);
  if (!value.is_string()) throw Error(std::string("'") + name + "' must be a string");
  return value.get<std::string>();
}

bool bool_field(const json& request, const char* name) {
  const auto found = request.find(name);
  if (found == request.end() || found->is_null()) return false;
  if (!found->is_boolean()) throw Error(std::string("'") + name + "' must be true or false");
  return found->get<bool>();
}

int64_t integer_field(const json& request, const char* name) {
  const auto& value = required(request, name);
  if (!value.is_number_integer()) throw Error(std::string("'") + name + "' must be an integer");
  return value.get<int64_t>();
}

std::vector<int32_t> token_field(const State& state, const json& request, const char* name) {
  const auto found = request.find(name);
  std::vector<int32_t> tokens;
  if (found == request.end() || found->is_null()) return tokens;
  if (!found->is_array()) throw Error(std::string("'") + name + "' must be an array of token ids");
  const int64_t vocabulary = state.runtime->vocabulary_size();
  tokens.reserve(found->size());
  for (size_t i = 0; i < found->size(); ++i) {
    const auto& token = (*found)[i];
    if (!token.is_number_integer() || token.get<int64_t>() < 0 ||
        token.get<int64_t>() >= vocabulary) {
      throw Error(std::string("'") + name + "'[" + std::to_string(i) + "] = " + token.dump() +
                  " is not a token id (0.." + std::to_string(vocabulary - 1) + ")");
    }
    tokens.push_back(token.get<int32_t>());
  }
  return tokens;
}

int64_t new_handle(State& state) {
  return state.next_handle++;
}

std::shared_ptr<ContextSlot> context_slot(State& state, const json& request) {
  const int64_t handle = integer_field(request, "context");
  const std::lock_guard lock(state.mutex);
  const auto found = state.contexts.find(handle);
  if (found == state.contexts.end()) {
    throw Error("context " + std::to_string(handle) +
                " is not open (released, or never opened by this program)");
  }
  return found->second;
}

std::shared_ptr<Guarded<Constraint>> matcher_slot(State& state, int64_t handle) {
  const std::lock_guard lock(state.mutex);
  const auto found = state.matchers.find(handle);
  if (found == state.matchers.end()) {
    throw Error("matcher " + std::to_string(handle) +
                " is not open (freed, or never made by this program)");
  }
  return found->second;
}

int64_t pages_for(int64_t length, int64_t page_tokens) {
  return (length + page_tokens - 1) / page_tokens;
}

// Distinct pages the program's contexts hold (a page its forks share counts once). Call
// under state.mutex.
int64_t pages_held(State& state) {
  std::vector<const Context*> contexts;
  contexts.reserve(state.contexts.size());
  for (const auto& [handle, slot] : state.contexts) contexts.push_back(&slot->context);
  return state.runtime->distinct_pages(contexts);
}

void check_page_limit(State& state, const ContextSlot& slot, int64_t added) {
  if (state.setup.max_pages <= 0 || added <= 0) return;
  const std::lock_guard lock(state.mutex);
  const int64_t page_tokens = state.runtime->page_tokens();
  const int64_t more =
      pages_for(slot.length + added, page_tokens) - pages_for(slot.length, page_tokens);
  if (pages_held(state) + more > state.setup.max_pages) {
    throw ProtocolError("resource_exhausted",
                        "the program's contexts would hold more than its limit of " +
                            std::to_string(state.setup.max_pages) +
                            " KV pages (--max-pages); release or truncate some first");
  }
}

json add_context(State& state, Context context) {
  const std::lock_guard lock(state.mutex);
  if (static_cast<int64_t>(state.contexts.size()) >= state.setup.max_contexts) {
    throw ProtocolError("resource_exhausted",
                        "the program holds " + std::to_string(state.contexts.size()) +
                            " contexts, its limit (--max-contexts); release some first");
  }
  auto slot = std::make_shared<ContextSlot>(std::move(context));
  slot->length = slot->context.length();
  const int64_t handle = new_handle(state);
  const int64_t length = slot->length;
  state.contexts.emplace(handle, std::move(slot));
  return {{"context", handle}, {"length", length}};
}

void check_snapshot(State& state, const std::string& name) {
  const auto names = state.runtime->snapshots();
  if (std::ranges::find(names, name) == names.end()) {
    throw ProtocolError("not_found", "no snapshot is named '" + name + "'");
  }
}

json pieces_json(State& state, const std::vector<int32_t>& ids) {
  json pieces = json::array();
  for (int32_t id : ids) pieces.push_back(protocol::base64_encode(state.runtime->token_bytes(id)));
  return {{"ids", ids}, {"pieces", std::move(pieces)}};
}

Message message_from(const json& item) {
  if (!item.is_object()) throw Error("a message must be an object {role, content}");
  const auto role = parse_role(string_field(item, "role"));
  if (!role) throw Error("a message's role must be system, user, assistant or tool");
  return Message{.role = *role, .content = string_field(item, "content")};
}

// --- model and runtime ---------------------------------------------------------------------

json op_hello(State& state, const json&) {
  return {{"protocol", 1},
          {"version", kVersion},
          {"instance_id", state.setup.instance_id},
          {"username", state.setup.username},
          {"models", json::array({state.runtime->model_name()})},
          {"input", state.setup.input},
          {"seed", state.setup.seed}};
}

json op_model(State& state, const json& request) {
  const auto name = string_field(request, "name");
  const auto loaded = state.runtime->model_name();
  if (name != "default" && name != loaded) {
    throw ProtocolError("not_found", "no model named '" + name + "' is loaded (this host has '" +
                                         loaded + "', also called 'default')");
  }
  const auto bos = state.runtime->bos_token();
  return {{"name", loaded},
          {"bos_token", bos ? json(*bos) : json()},
          {"vocab_size", state.runtime->vocabulary_size()},
          {"page_size", state.runtime->page_tokens()},
          {"context_length", state.runtime->context_length()},
          {"stop_tokens", state.runtime->stop_tokens()}};
}

json op_encode(State& state, const json& request) {
  return {{"tokens",
           state.runtime->encode(string_field(request, "text"), bool_field(request, "special"))}};
}

json op_decode(State& state, const json& request) {
  return {{"text", state.runtime->decode(token_field(state, request, "tokens"))}};
}

json op_vocabulary(State& state, const json&) {
  std::vector<int32_t> ids(static_cast<size_t>(state.runtime->vocabulary_size()));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  return pieces_json(state, ids);
}

json op_special_tokens(State& state, const json&) {
  return pieces_json(state, state.runtime->special_tokens());
}

json op_split_regex(State& state, const json&) {
  const auto patterns = state.runtime->split_patterns();
  return {{"pattern", patterns.size() == 1 ? patterns.front() : ""}, {"patterns", patterns}};
}

json op_chat_tokens(State& state, const json& request) {
  const auto& items = required(request, "messages");
  if (!items.is_array()) throw Error("'messages' must be an array");
  std::vector<Message> messages;
  for (const auto& item : items) messages.push_back(message_from(item));
  return {
      {"tokens", state.runtime->render_chat(messages, bool_field(request, "generation_prompt"))}};
}

// --- contexts ------------------------------------------------------------------------------

json op_context_new(State& state, const json&) {
  return add_context(state, state.runtime->create());
}

json op_context_open(State& state, const json& request) {
  const auto name = string_field(request, "name");
  check_snapshot(state, name);
  return add_context(state, state.runtime->open_snapshot(name));
}

json op_context_take(State& state, const json& request) {
  const auto name = string_field(request, "name");
  check_snapshot(state, name);
  return add_context(state, state.runtime->take_snapshot(name));
}

json op_context_delete(State& state, const json& request) {
  const auto name = string_field(request, "name");
  check_snapshot(state, name);
  state.runtime->remove_snapshot(name);
  return json::object();
}

json op_context_fork(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const std::lock_guard lock(slot->mutex);
  return add_context(state, slot->context.fork());
}

json op_context_save(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const auto name = string_field(request, "name");
  if (name.empty()) throw Error("a snapshot name must not be empty");
  const std::lock_guard lock(slot->mutex);
  slot->context.save(name);
  return json::object();
}

json op_context_snapshot(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const std::lock_guard lock(slot->mutex);
  return {{"name", slot->context.snapshot()}};
}

json op_context_release(State& state, const json& request) {
  auto slot = context_slot(state, request);
  {
    const std::lock_guard lock(state.mutex);
    state.contexts.erase(integer_field(request, "context"));
  }
  const std::lock_guard lock(slot->mutex);  // after an operation still in flight
  slot->context.release();
  slot->length = 0;
  return json::object();
}

json op_context_truncate(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const int64_t length = integer_field(request, "length");
  const std::lock_guard lock(slot->mutex);
  slot->context.truncate(length);
  slot->length = slot->context.length();
  return {{"length", slot->length.load()}};
}

json op_context_info(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const std::lock_guard lock(slot->mutex);
  const int64_t length = slot->context.length();
  return {{"length", length},
          {"tokens", slot->context.tokens()},
          {"page_size", state.runtime->page_tokens()},
          {"pages", slot->context.pages()},
          {"shared_pages", slot->context.shared_pages()}};
}

json op_context_append(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const auto tokens = token_field(state, request, "tokens");
  const std::lock_guard lock(slot->mutex);
  check_page_limit(state, *slot, static_cast<int64_t>(tokens.size()));
  slot->context.append(tokens);
  slot->length = slot->context.length();
  return {{"length", slot->length.load()}};
}

// Chat turns may append any number of tokens: the page limit is checked after the fact and
// the turn undone when it went past.
json after_turn(State& state, ContextSlot& slot, int64_t before) {
  slot.length = slot.context.length();
  if (state.setup.max_pages > 0) {
    const std::lock_guard lock(state.mutex);
    if (pages_held(state) > state.setup.max_pages) {
      slot.context.truncate(before);
      slot.length = before;
      throw ProtocolError("resource_exhausted",
                          "the turn would take the program's contexts past its limit of " +
                              std::to_string(state.setup.max_pages) + " KV pages (--max-pages)");
    }
  }
  return {{"length", slot.length.load()}};
}

json op_context_turn(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const auto message = message_from(request);
  const std::lock_guard lock(slot->mutex);
  const int64_t before = slot->context.length();
  slot->context.append_turn(message, bool_field(request, "generation_prompt"));
  return after_turn(state, *slot, before);
}

json op_context_cue(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const std::lock_guard lock(slot->mutex);
  const int64_t before = slot->context.length();
  slot->context.append_generation_prompt();
  return after_turn(state, *slot, before);
}

// --- forward -------------------------------------------------------------------------------

struct SamplerAt {
  std::vector<int64_t> rows;
  SamplerSpec spec;
};

struct ProbeAt {
  int64_t row = 0;
  ProbeSpec spec;
};

int64_t row_index(const json& value, int64_t rows, const char* what) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() >= rows) {
    throw Error(std::string(what) + ": row " + value.dump() + " is not an input row (0.." +
                std::to_string(rows - 1) + ")");
  }
  return value.get<int64_t>();
}

std::vector<SamplerAt> samplers_of(const json& request, int64_t rows) {
  std::vector<SamplerAt> samplers;
  const auto found = request.find("samplers");
  if (found == request.end() || found->is_null()) return samplers;
  if (!found->is_array()) throw Error("'samplers' must be an array");
  for (const auto& item : *found) {
    if (!item.is_object() || !item.contains("rows") || !item["rows"].is_array()) {
      throw Error("a sampler entry is {rows: [..], sampler: {..}}");
    }
    SamplerAt at;
    for (const auto& row : item["rows"]) at.rows.push_back(row_index(row, rows, "sampler"));
    at.spec = parse_sampler(required(item, "sampler"));
    samplers.push_back(std::move(at));
  }
  return samplers;
}

std::vector<ProbeAt> probes_of(const json& request, int64_t rows) {
  std::vector<ProbeAt> probes;
  const auto found = request.find("probes");
  if (found == request.end() || found->is_null()) return probes;
  if (!found->is_array()) throw Error("'probes' must be an array");
  for (const auto& item : *found) {
    if (!item.is_object()) throw Error("a probe entry is {row, probe: {..}}");
    probes.push_back(
        {row_index(required(item, "row"), rows, "probe"), parse_probe(required(item, "probe"))});
  }
  return probes;
}

// The constraints' matchers, locked (ascending handles, so two passes never wait on each
// other in a cycle).
struct LockedMatchers {
  std::vector<std::shared_ptr<Guarded<Constraint>>> held;
  std::vector<std::unique_lock<std::mutex>> locks;
};

LockedMatchers lock_matchers(State& state, const json& request) {
  LockedMatchers matchers;
  const auto found = request.find("constraints");
  if (found == request.end() || found->is_null()) return matchers;
  if (!found->is_array()) throw Error("'constraints' must be an array of matcher handles");
  std::vector<int64_t> handles;
  for (const auto& handle : *found) {
    if (!handle.is_number_integer()) throw Error("'constraints' must hold matcher handles");
    handles.push_back(handle.get<int64_t>());
  }
  std::ranges::sort(handles);
  handles.erase(std::unique(handles.begin(), handles.end()), handles.end());
  for (int64_t handle : handles) matchers.held.push_back(matcher_slot(state, handle));
  for (auto& matcher : matchers.held) matchers.locks.emplace_back(matcher->mutex);
  return matchers;
}

uint64_t next_seed(State& state) {
  const std::lock_guard lock(state.mutex);
  return state.seeds();
}

json op_forward(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const auto tokens = token_field(state, request, "tokens");
  const auto count = static_cast<int64_t>(tokens.size());
  const int64_t rows = std::max<int64_t>(count, 1);
  auto samplers = samplers_of(request, rows);
  const auto probes = probes_of(request, rows);
  std::optional<TokenMask> static_mask;
  const int64_t vocabulary = state.runtime->vocabulary_size();
  if (request.contains("mask") && !request["mask"].is_null()) {
    if (!request["mask"].is_array()) throw Error("'mask' must be a BRLE array of run lengths");
    static_mask = mask_from_brle(request["mask"].get<std::vector<int64_t>>(), vocabulary);
  }
  if (request.contains("attention_mask")) {
    throw Error("per-token attention masks are not supported: weft's attention is causal");
  }
  auto matchers = lock_matchers(state, request);
  const std::lock_guard lock(slot->mutex);
  auto& context = slot->context;
  if (request.contains("positions") && !request["positions"].is_null()) {
    const auto& positions = request["positions"];
    if (!positions.is_array() || static_cast<int64_t>(positions.size()) != count) {
      throw Error("'positions' must be an array with one position per token");
    }
    for (int64_t i = 0; i < count; ++i) {
      if (positions[static_cast<size_t>(i)] != context.length() + i) {
        throw Error("positions[" + std::to_string(i) + "] is " +
                    positions[static_cast<size_t>(i)].dump() + " but the context continues at " +
                    std::to_string(context.length() + i) +
                    " (weft computes a context's tokens in order, without gaps)");
      }
    }
  }
  // The rows whose logits are needed, and where each one's logits are.
  std::vector<int64_t> wanted;
  for (const auto& sampler : samplers)
    wanted.insert(wanted.end(), sampler.rows.begin(), sampler.rows.end());
  for (const auto& probe : probes) wanted.push_back(probe.row);
  std::ranges::sort(wanted);
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::vector<float> row_logits;
  if (count > 0) {
    check_page_limit(state, *slot, count);
    row_logits = context.append_with_logits(tokens, wanted);
    slot->length = context.length();
  } else if (!wanted.empty()) {
    if (context.logits().empty()) {
      throw Error(
          "the context is empty: a pass without input tokens samples after the last "
          "token, and there is none");
    }
    row_logits.assign(context.logits().begin(), context.logits().end());
  }
  const auto logits_of = [&](int64_t row) {
    const auto at = static_cast<size_t>(std::ranges::lower_bound(wanted, row) - wanted.begin());
    return std::span<const float>(row_logits)
        .subspan(at * static_cast<size_t>(vocabulary), static_cast<size_t>(vocabulary));
  };
  json samples = json::array();
  for (const auto& sampler : samplers) {
    json tokens_out = json::array();
    for (int64_t row : sampler.rows) {
      std::optional<TokenMask> mask = static_mask;
      for (auto& matcher : matchers.held) {
        auto allowed = matcher->value.mask();
        if (mask) {
          *mask &= allowed;
        } else {
          mask = std::move(allowed);
        }
      }
      const uint64_t seed = sampler.spec.seed ? *sampler.spec.seed : next_seed(state);
      const auto drawn = sample_row(logits_of(row), sampler.spec, mask ? &*mask : nullptr, seed);
      for (auto& matcher : matchers.held) matcher->value.accept(drawn.front());
      for (int32_t token : drawn) tokens_out.push_back(token);
    }
    samples.push_back(std::move(tokens_out));
  }
  json probe_results = json::array();
  for (const auto& probe : probes)
    probe_results.push_back(probe_row(logits_of(probe.row), probe.spec));
  return {{"length", context.length()},
          {"samples", std::move(samples)},
          {"probes", std::move(probe_results)}};
}

// --- matchers ------------------------------------------------------------------------------

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
  const std::lock_guard lock(state.mutex);
  const int64_t handle = new_handle(state);
  state.matchers.emplace(handle, std::move(matcher));
  return {{"matcher", handle}};
}

json op_matcher_accept(State& state, const json& request) {
  auto matcher = matcher_slot(state, integer_field(request, "matcher"));
  const auto tokens = token_field(state, request, "tokens");
  const std::lock_guard lock(matcher->mutex);
  size_t accepted = 0;
  while (accepted < tokens.size() && matcher->value.accept(tokens[accepted])) ++accepted;
  return {{"accepted", accepted}};
}

json op_matcher_mask(State& state, const json& request) {
  auto matcher = matcher_slot(state, integer_field(request, "matcher"));
  const std::lock_guard lock(matcher->mutex);
  return {{"mask", brle_from_mask(matcher->value.mask())}};
}

json op_matcher_state(State& state, const json& request) {
  auto matcher = matcher_slot(state, integer_field(request, "matcher"));
  const std::lock_guard lock(matcher->mutex);
  return {{"terminated", matcher->value.ended()},
          {"can_end", matcher->value.can_end()},
          {"accepted_tokens", matcher->value.accepted_tokens()}};
}

json op_matcher_rollback(State& state, const json& request) {
  auto matcher = matcher_slot(state, integer_field(request, "matcher"));
  const int64_t tokens = integer_field(request, "tokens");
  if (tokens < 0) throw Error("'tokens' must not be negative");
  const std::lock_guard lock(matcher->mutex);
  matcher->value.rollback(static_cast<size_t>(tokens));
  return json::object();
}

json op_matcher_reset(State& state, const json& request) {
  auto matcher = matcher_slot(state, integer_field(request, "matcher"));
  const std::lock_guard lock(matcher->mutex);
  matcher->value.rollback(matcher->value.accepted_tokens());
  return json::object();
}

json op_matcher_free(State& state, const json& request) {
  const int64_t handle = integer_field(request, "matcher");
  matcher_slot(state, handle);  // throws for an unknown handle
  const std::lock_guard lock(state.mutex);
  state.matchers.erase(handle);
  return json::object();
}

// --- session and messaging -----------------------------------------------------------------

json op_session_send(State& state, const json& request) {
  const auto message = string_field(request, "message");
  if (state.setup.on_send) state.setup.on_send(message);
  return json::object();
}

json op_session_receive(State& state, const json&) {
  std::unique_lock lock(state.mutex);
  state.inbox_changed.wait(
      lock, [&] { return !state.inbox.empty() || state.input_ended || state.stopping; });
  if (state.inbox.empty()) {
    throw ProtocolError("not_found", "the client sends no more messages (its input ended)");
  }
  std::string message = std::move(state.inbox.front());
  state.inbox.pop_front();
  return {{"message", std::move(message)}};
}

json op_broadcast(State& state, const json& request) {
  state.hub.broadcast(string_field(request, "topic"), string_field(request, "message"));
  return json::object();
}

json op_subscribe(State& state, const json& request) {
  const int64_t subscription = state.hub.subscribe(string_field(request, "topic"));
  const std::lock_guard lock(state.mutex);
  state.subscriptions.insert(subscription);
  return {{"subscription", subscription}};
}

int64_t own_subscription(State& state, const json& request) {
  const int64_t subscription = integer_field(request, "subscription");
  const std::lock_guard lock(state.mutex);
  if (!state.subscriptions.contains(subscription)) {
    throw Error("subscription " + std::to_string(subscription) + " is not open");
  }
  return subscription;
}

json op_subscription_next(State& state, const json& request) {
  const auto message = state.hub.next(own_subscription(state, request), state.stopping);
  if (!message) return json::object();
  return {{"message", *message}};
}

json op_unsubscribe(State& state, const json& request) {
  const int64_t subscription = own_subscription(state, request);
  state.hub.unsubscribe(subscription);
  const std::lock_guard lock(state.mutex);
  state.subscriptions.erase(subscription);
  return json::object();
}

json op_push(State& state, const json& request) {
  state.hub.push(string_field(request, "topic"), string_field(request, "message"));
  return json::object();
}

json op_pull(State& state, const json& request) {
  const auto message = state.hub.pull(string_field(request, "topic"), state.stopping);
  if (!message) throw ProtocolError("not_found", "the program is stopping");
  return {{"message", *message}};
}

json op_return(State& state, const json& request) {
  const std::lock_guard lock(state.mutex);
  if (state.outcome) throw Error("the program has already returned or failed");
  state.outcome = ProgramOutcome{
      .kind = ProgramOutcome::Kind::returned, .value = request.value("value", json()), .error = {}};
  return json::object();
}

json op_fail(State& state, const json& request) {
  const auto message = string_field(request, "message");
  const std::lock_guard lock(state.mutex);
  if (state.outcome) throw Error("the program has already returned or failed");
  state.outcome =
      ProgramOutcome{.kind = ProgramOutcome::Kind::failed, .value = {}, .error = message};
  return json::object();
}

using Operation = json (*)(State&, const json&);

const std::unordered_map<std::string, Operation>& operations() {
  static const std::unordered_map<std::string, Operation> table = {
      {"hello", op_hello},
      {"model", op_model},
      {"encode", op_encode},
      {"decode", op_decode},
      {"vocabulary", op_vocabulary},
      {"special_tokens", op_special_tokens},
      {"split_regex", op_split_regex},
      {"chat_tokens", op_chat_tokens},
      {"context_new", op_context_new},
      {"context_open", op_context_open},
      {"context_take", op_context_take},
      {"context_delete", op_context_delete},
      {"context_fork", op_context_fork},
      {"context_save", op_context_save},
      {"context_snapshot", op_context_snapshot},
      {"context_release", op_context_release},
      {"context_truncate", op_context_truncate},
      {"context_info", op_context_info},
      {"context_append", op_context_append},
      {"context_turn", op_context_turn},
      {"context_cue", op_context_cue},
      {"forward", op_forward},
      {"matcher_new", op_matcher_new},
      {"matcher_accept", op_matcher_accept},
      {"matcher_mask", op_matcher_mask},
      {"matcher_state", op_matcher_state},
      {"matcher_rollback", op_matcher_rollback},
      {"matcher_reset", op_matcher_reset},
      {"matcher_free", op_matcher_free},
      {"session_send", op_session_send},
      {"session_receive", op_session_receive},
      {"broadcast", op_broadcast},
      {"subscribe", op_subscribe},
      {"subscription_next", op_subscription_next},
      {"unsubscribe", op_unsubscribe},
      {"push", op_push},
      {"pull", op_pull},
      {"return", op_return},
      {"fail", op_fail},
  };
  return table;
}

}  // namespace

json ProgramSession::State::run(const json& request) {
  const auto op = request.find("op");
  if (op == request.end() || !op->is_string()) throw Error("a request needs a string 'op'");
  const auto found = operations().find(op->get<std::string>());
  if (found == operations().end()) {
    throw Error("unknown op '" + op->get<std::string>() + "' (docs/programs.md lists them)");
  }
  return found->second(*this, request);
}

void ProgramSession::State::release_all() {
  std::map<int64_t, std::shared_ptr<ContextSlot>> held_contexts;
  std::set<int64_t> held_subscriptions;
  {
    const std::lock_guard lock(mutex);
    held_contexts.swap(contexts);
    held_subscriptions.swap(subscriptions);
    matchers.clear();
  }
  for (int64_t subscription : held_subscriptions) hub.unsubscribe(subscription);
  for (auto& [handle, slot] : held_contexts) {
    const std::lock_guard lock(slot->mutex);
    slot->context.release();
  }
}

}  // namespace weft::program
