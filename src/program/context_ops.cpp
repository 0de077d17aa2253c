// Contexts: made, forked, saved as snapshots, appended to, truncated, released.
#include "program/program_ops.hpp"

#include <algorithm>

#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::program {
namespace {

using nlohmann::json;

json add_context(State& state, Context context) {
  const sync::MutexLock lock(state.mutex);
  if (static_cast<int64_t>(state.contexts.size()) >= state.setup.max_contexts) {
    throw ProtocolError("resource_exhausted",
                        "the program holds " + std::to_string(state.contexts.size()) +
                            " contexts, its limit (--max-contexts; --program-max-contexts in a "
                            "daemon); release some first");
  }
  const int64_t length = context.length();
  auto slot = std::make_shared<ContextSlot>(std::move(context));
  slot->length = length;
  const int64_t handle = new_handle(state);
  state.contexts.emplace(handle, std::move(slot));
  return {{"context", handle}, {"length", length}};
}

void check_snapshot(State& state, const std::string& name) {
  const auto names = state.runtime->snapshots();
  if (std::ranges::find(names, name) == names.end()) {
    throw ProtocolError("not_found", "no snapshot is named '" + name + "'");
  }
}

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
  const sync::MutexLock lock(slot->mutex);
  return add_context(state, slot->context.fork());
}

json op_context_save(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const auto name = string_field(request, "name");
  if (name.empty()) throw Error("a snapshot name must not be empty");
  const sync::MutexLock lock(slot->mutex);
  slot->context.save(name);
  return json::object();
}

json op_context_snapshot(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const sync::MutexLock lock(slot->mutex);
  return {{"name", slot->context.snapshot()}};
}

json op_context_release(State& state, const json& request) {
  auto slot = context_slot(state, request);
  {
    const sync::MutexLock lock(state.mutex);
    state.contexts.erase(integer_field(request, "context"));
  }
  const sync::MutexLock lock(slot->mutex);  // after an operation still in flight
  slot->context.release();
  slot->length = 0;
  return json::object();
}

json op_context_truncate(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const int64_t length = integer_field(request, "length");
  const sync::MutexLock lock(slot->mutex);
  slot->context.truncate(length);
  slot->length = slot->context.length();
  return {{"length", slot->length.load()}};
}

json op_context_info(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const sync::MutexLock lock(slot->mutex);
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
  const sync::MutexLock lock(slot->mutex);
  check_page_limit(state, *slot, static_cast<int64_t>(tokens.size()));
  slot->context.append(tokens);
  slot->length = slot->context.length();
  return {{"length", slot->length.load()}};
}

// Chat turns may append any number of tokens: the page limit is checked after the fact and
// the turn undone when it went past.
json after_turn(State& state, ContextSlot& slot, int64_t before) WEFT_REQUIRES(slot.mutex) {
  slot.length = slot.context.length();
  if (state.setup.max_pages > 0) {
    const sync::MutexLock lock(state.mutex);
    if (pages_held(state) > state.setup.max_pages) {
      slot.context.truncate(before);
      slot.length = before;
      throw ProtocolError("resource_exhausted",
                          "the turn would take the program's contexts past its limit of " +
                              std::to_string(state.setup.max_pages) +
                              " KV pages (--max-pages; --program-max-pages in a daemon)");
    }
  }
  return {{"length", slot.length.load()}};
}

json op_context_turn(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const auto message = message_from(request);
  const sync::MutexLock lock(slot->mutex);
  const int64_t before = slot->context.length();
  slot->context.append_turn(message, bool_field(request, "generation_prompt"));
  return after_turn(state, *slot, before);
}

json op_context_cue(State& state, const json& request) {
  auto slot = context_slot(state, request);
  const sync::MutexLock lock(slot->mutex);
  const int64_t before = slot->context.length();
  slot->context.append_generation_prompt();
  return after_turn(state, *slot, before);
}

}  // namespace

void add_context_operations(OperationTable& table) {
  table["context_new"] = op_context_new;
  table["context_open"] = op_context_open;
  table["context_take"] = op_context_take;
  table["context_delete"] = op_context_delete;
  table["context_fork"] = op_context_fork;
  table["context_save"] = op_context_save;
  table["context_snapshot"] = op_context_snapshot;
  table["context_release"] = op_context_release;
  table["context_truncate"] = op_context_truncate;
  table["context_info"] = op_context_info;
  table["context_append"] = op_context_append;
  table["context_turn"] = op_context_turn;
  table["context_cue"] = op_context_cue;
}

}  // namespace weft::program
