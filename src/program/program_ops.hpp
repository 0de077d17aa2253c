// The operations of the program protocol (docs/programs.md, "Operations"), one file per
// group, and what they share: reading a request's fields and finding the program's handles.
// Internal to the program host.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "program/program_state.hpp"

namespace weft::program {

using State = ProgramSession::State;
using Operation = nlohmann::json (*)(State&, const nlohmann::json&);
using OperationTable = std::unordered_map<std::string, Operation>;

void add_model_operations(OperationTable& table);
void add_context_operations(OperationTable& table);
void add_forward_operation(OperationTable& table);
void add_matcher_operations(OperationTable& table);
void add_message_operations(OperationTable& table);

// A `forward` computed at once when it needs no model call (no input tokens) and no other
// pass holds its context or matchers; nullopt when it would wait.
std::optional<nlohmann::json> forward_without_waiting(State& state, const nlohmann::json& request);

// A request's fields: weft::Error(invalid_request) naming the field when absent or mistyped.
const nlohmann::json& required(const nlohmann::json& request, const char* name);
std::string string_field(const nlohmann::json& request, const char* name);
bool bool_field(const nlohmann::json& request, const char* name);  // absent: false
int64_t integer_field(const nlohmann::json& request, const char* name);
// Token ids of the model's vocabulary; absent: none.
std::vector<int32_t> token_field(const State& state, const nlohmann::json& request,
                                 const char* name);

// {role, content}; weft::Error for another shape or an unknown role.
Message message_from(const nlohmann::json& item);

// The program's handles; weft::Error naming the handle when it is not open.
std::shared_ptr<ContextSlot> context_slot(State& state, const nlohmann::json& request);
std::shared_ptr<Guarded<Constraint>> matcher_slot(State& state, int64_t handle);
int64_t new_handle(State& state) WEFT_REQUIRES(state.mutex);

int64_t pages_for(int64_t length, int64_t page_tokens);
// Distinct pages the program's contexts hold (a page its forks share counts once).
int64_t pages_held(State& state) WEFT_REQUIRES(state.mutex);
// Throws ProtocolError(resource_exhausted) when `added` more tokens in `slot` would take the
// program past --max-pages.
void check_page_limit(State& state, const ContextSlot& slot, int64_t added);

}  // namespace weft::program
