// What the operations share (program_ops.hpp) and the table that dispatches them.
#include "program/program_ops.hpp"

#include <string>

#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::program {

using nlohmann::json;

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
  const sync::MutexLock lock(state.mutex);
  const auto found = state.contexts.find(handle);
  if (found == state.contexts.end()) {
    throw Error("context " + std::to_string(handle) +
                " is not open (released, or never opened by this program)");
  }
  return found->second;
}

std::shared_ptr<Guarded<Constraint>> matcher_slot(State& state, int64_t handle) {
  const sync::MutexLock lock(state.mutex);
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

void check_page_limit(State& state, const ContextSlot& slot, int64_t added) {
  if (state.setup.max_pages <= 0 || added <= 0) return;
  const sync::MutexLock lock(state.mutex);
  const int64_t page_tokens = state.runtime->page_tokens();
  const int64_t more =
      pages_for(slot.length + added, page_tokens) - pages_for(slot.length, page_tokens);
  if (pages_held(state) + more > state.setup.max_pages) {
    throw ProtocolError("resource_exhausted",
                        "the program's contexts would hold more than its limit of " +
                            std::to_string(state.setup.max_pages) +
                            " KV pages (--max-pages; --program-max-pages in a daemon); release or "
                            "truncate some first");
  }
}

int64_t pages_held(State& state) {
  std::vector<const Context*> contexts;
  contexts.reserve(state.contexts.size());
  for (const auto& [handle, slot] : state.contexts) contexts.push_back(&slot->context);
  return state.runtime->distinct_pages(contexts);
}

Message message_from(const json& item) {
  if (!item.is_object()) throw Error("a message must be an object {role, content}");
  const auto role = parse_role(string_field(item, "role"));
  if (!role) throw Error("a message's role must be system, user, assistant or tool");
  return Message{.role = *role, .content = string_field(item, "content")};
}

namespace {

const OperationTable& operations() {
  static const OperationTable table = [] {
    OperationTable all;
    add_model_operations(all);
    add_context_operations(all);
    add_forward_operation(all);
    add_matcher_operations(all);
    add_message_operations(all);
    return all;
  }();
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

std::optional<json> ProgramSession::State::run_at_once(const json& request) {
  const auto op = request.find("op");
  if (op == request.end() || !op->is_string() || *op != "forward") return std::nullopt;
  return forward_without_waiting(*this, request);
}

void ProgramSession::State::release_all() {
  std::map<int64_t, std::shared_ptr<ContextSlot>> held_contexts;
  std::set<int64_t> held_subscriptions;
  {
    const sync::MutexLock lock(mutex);
    held_contexts.swap(contexts);
    held_subscriptions.swap(subscriptions);
    matchers.clear();
  }
  for (int64_t subscription : held_subscriptions) hub.unsubscribe(subscription);
  for (auto& [handle, slot] : held_contexts) {
    const sync::MutexLock lock(slot->mutex);
    slot->context.release();
  }
}

}  // namespace weft::program
