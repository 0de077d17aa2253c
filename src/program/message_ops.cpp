// Session messages, messaging between programs, and the program's outcome.
#include "program/program_ops.hpp"

#include "protocol/base64.hpp"
#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::program {
namespace {

using nlohmann::json;

json op_session_send(State& state, const json& request) {
  const auto message = string_field(request, "message");
  if (state.setup.on_send) state.setup.on_send(message);
  return json::object();
}

json op_session_receive(State& state, const json&) {
  sync::MutexLock lock(state.mutex);
  while (state.inbox.empty() && !state.input_ended && !state.stopping) {
    lock.wait(state.inbox_changed);
  }
  if (state.inbox.empty()) {
    throw ProtocolError("not_found", "the client sends no more messages (its input ended)");
  }
  std::string message = std::move(state.inbox.front());
  state.inbox.pop_front();
  state.inbox_bytes -= message.size();
  return {{"message", std::move(message)}};
}

json op_session_send_file(State& state, const json& request) {
  const auto data = protocol::base64_decode(string_field(request, "data"));
  if (!data) throw ProtocolError("invalid_request", "session_send_file: data is not base64");
  if (!state.setup.on_send_file) {
    throw ProtocolError("invalid_request",
                        "session.sendFile: this host keeps no files (weft program run keeps them "
                        "with --files-out DIR)");
  }
  state.setup.on_send_file(*data);
  return json::object();
}

json op_session_receive_file(State& state, const json&) {
  const sync::MutexLock lock(state.mutex);
  if (state.files_received >= state.setup.files.size()) {
    throw ProtocolError("not_found",
                        "session.receiveFile: no more files (weft program run --file PATH, or the "
                        "daemon request's 'files', give them, in order)");
  }
  return {{"data", protocol::base64_encode(state.setup.files[state.files_received++])}};
}

json op_broadcast(State& state, const json& request) {
  state.hub.broadcast(string_field(request, "topic"), string_field(request, "message"));
  return json::object();
}

json op_subscribe(State& state, const json& request) {
  const int64_t subscription = state.hub.subscribe(string_field(request, "topic"));
  const sync::MutexLock lock(state.mutex);
  state.subscriptions.insert(subscription);
  return {{"subscription", subscription}};
}

int64_t own_subscription(State& state, const json& request) {
  const int64_t subscription = integer_field(request, "subscription");
  const sync::MutexLock lock(state.mutex);
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
  const sync::MutexLock lock(state.mutex);
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
  const sync::MutexLock lock(state.mutex);
  if (state.outcome) throw Error("the program has already returned or failed");
  state.outcome = ProgramOutcome{
      .kind = ProgramOutcome::Kind::returned, .value = request.value("value", json()), .error = {}};
  return json::object();
}

json op_fail(State& state, const json& request) {
  const auto message = string_field(request, "message");
  const sync::MutexLock lock(state.mutex);
  if (state.outcome) throw Error("the program has already returned or failed");
  state.outcome =
      ProgramOutcome{.kind = ProgramOutcome::Kind::failed, .value = {}, .error = message};
  return json::object();
}

}  // namespace

void add_message_operations(OperationTable& table) {
  table["session_send"] = op_session_send;
  table["session_receive"] = op_session_receive;
  table["session_send_file"] = op_session_send_file;
  table["session_receive_file"] = op_session_receive_file;
  table["broadcast"] = op_broadcast;
  table["subscribe"] = op_subscribe;
  table["subscription_next"] = op_subscription_next;
  table["unsubscribe"] = op_unsubscribe;
  table["push"] = op_push;
  table["pull"] = op_pull;
  table["return"] = op_return;
  table["fail"] = op_fail;
}

}  // namespace weft::program
