// The Infernet engine protocol v1 (docs/engine-protocol.md): NDJSON over an engine's stdio.
// Every line is one JSON object with `v` (the protocol version) and `type`; the lines of a
// generation also carry its `id`, so that several generations share one pipe.
//
//   host → engine: load {model}, generate {id, messages, max_tokens?, temperature?, …},
//                  cancel {id}, shutdown
//   engine → host: ready {model?}, meta {id, model, started_at}, token {id, text},
//                  done {id, reason: stop|length|cancel, text}, error {id?, message},
//                  log {level, message}
//
// Both sides are here: weft-engine decodes commands and encodes events; the `process`
// backend encodes commands and decodes events. Decoding validates every field and never
// throws: what is wrong comes back as a value naming the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "weft/events.hpp"
#include "weft/types.hpp"

namespace weft::protocol::engine {

inline constexpr int kProtocolVersion = 1;

// ---- host → engine ----------------------------------------------------------------------

struct LoadCommand {
  std::string model;  // a GGUF path or a name in the models directory
};

struct GenerateCommand {
  nlohmann::json id;  // a non-empty string or an integer, echoed back as sent
  std::string model;  // "" when not given
  GenerationRequest request;
};

struct CancelCommand {
  nlohmann::json id;
};

struct ShutdownCommand {};

// A line that cannot be served: answered with an `error` frame, carrying the line's id when
// it had a usable one (so that a host waiting on that generation hears about it).
struct BadCommand {
  std::optional<nlohmann::json> id;
  std::string message;
};

// A blank line: nothing to answer.
struct BlankLine {};

using Command = std::variant<BlankLine, LoadCommand, GenerateCommand, CancelCommand,
                             ShutdownCommand, BadCommand>;

Command decode_command(std::string_view line);

// Each returns one line, terminated by "\n".
std::string encode_load(std::string_view model);
std::string encode_generate(std::string_view id, const GenerationRequest& request);
std::string encode_cancel(std::string_view id);
std::string encode_shutdown();

// ---- engine → host ----------------------------------------------------------------------

// "stop", "length" or "cancel" (StopReason::error has no done reason: it is an error frame).
std::string_view done_reason(StopReason reason);

std::string encode_ready(const std::optional<std::string>& model);
std::string encode_meta(const nlohmann::json& id, std::string_view model,
                        std::string_view started_at);
std::string encode_token(const nlohmann::json& id, std::string_view text);
std::string encode_done(const nlohmann::json& id, StopReason reason, std::string_view text,
                        const Usage& usage);
// `code` is weft's extension: a host that knows weft's error codes keeps them.
std::string encode_error(const std::optional<nlohmann::json>& id, std::string_view message,
                         std::optional<ErrorCode> code = std::nullopt);
std::string encode_log(std::string_view level, std::string_view message);

// An RFC 3339 UTC time with milliseconds, as `meta.started_at` carries it.
std::string utc_timestamp_now();

struct EngineEvent {
  enum class Type { ready, meta, token, done, error, log };
  Type type = Type::log;
  std::string id;                       // "" for engine-level events (ready, log, error without id)
  std::optional<std::string> model;     // ready, meta
  std::string text;                     // token, done
  StopReason reason = StopReason::end;  // done
  std::string message;                  // error, log
  std::string level;                    // log
  std::optional<ErrorCode> code;        // error, when the engine names a weft error code
  std::optional<Usage> usage;           // done, when the engine reports it
};

// A line from the engine that is not a valid event (garbage, a wrong version, a bad field).
struct BadEvent {
  std::string message;
};

using DecodedEvent = std::variant<BlankLine, EngineEvent, BadEvent>;

DecodedEvent decode_event(std::string_view line);

}  // namespace weft::protocol::engine
