// Requests of inferd protocol v1 (PROTOCOLS §1) and weft's additive extensions
// (docs/protocol.md): decoding with validation and server-side defaults, and encoding for
// the client library.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "weft/types.hpp"

namespace weft::protocol {

// The spec's server-side defaults.
inline constexpr float kDefaultTemperature = 1.0f;
inline constexpr float kDefaultTopP = 0.95f;
inline constexpr uint32_t kDefaultTopK = 64;
inline constexpr uint32_t kDefaultMaxTokens = 1000;

struct DecodedRequest {
  GenerationRequest request;  // every spec default applied
  bool stream = true;         // token frames are sent either way
  std::optional<uint32_t> image_token_budget;
};

// A well-formed frame with a bad field: answered with `invalid_request`, connection stays.
struct InvalidRequest {
  std::string id;  // the request's id when it could be read, else ""
  std::string message;
};

// Not a JSON object at all: answered with an error frame whose id is "", then close.
struct UnparseableFrame {
  std::string message;
};

// `{"type":"auth","key":…}`: the first line of an authenticated TCP connection.
struct AuthFrame {
  std::string key;
  // Set when the line also has an `id` or `messages`: a request that asked for an answer,
  // which must not be dropped silently where no auth is needed (the `id`, "" if not a string).
  std::optional<std::string> request_id;
};

// *Extension* (docs/protocol.md, "Programs"): `{"id", "program": NAME, "input", "seed",
// "files"}` asks the daemon to run the program DIR/NAME.js of `weft serve --programs DIR`;
// `files` (base64) are what its session.receiveFile() returns, in order.
struct ProgramRequest {
  std::string id;
  std::string name;               // letters, digits, '_' and '-' only: never a path
  std::string input_json = "{}";  // main()'s argument, checked to be JSON
  std::optional<uint64_t> seed;
  std::vector<std::string> files;  // decoded bytes, each at most kMaxProgramFileBytes
};

// Files between a client and a program of the daemon, in each direction: at most this many
// bytes per file and in all per run (decoded; base64 on the wire is 4/3 of it, which keeps a
// request with every input file under the 64 MiB line limit).
inline constexpr size_t kMaxProgramFileBytes = size_t{16} << 20;
inline constexpr size_t kMaxProgramFilesBytes = size_t{32} << 20;

// *Extension* (docs/programs.md, "Messages to a program"): `{"type": "message", "id",
// "content"}` for the session.receive of the program request `id` on the same connection, or
// `{"type": "message", "id", "end": true}` when the client sends no more. Not a request: it
// gets no terminal frame, only a `message_refused` frame when it cannot be delivered.
struct ProgramInput {
  std::string id;
  std::string content;  // a string as sent; other JSON values JSON-encoded
  bool end = false;
  std::string error;  // a malformed frame: why (answered with `message_refused`)
};

// The longest program name accepted.
inline constexpr size_t kMaxProgramNameBytes = 128;

using DecodedFrame = std::variant<DecodedRequest, InvalidRequest, UnparseableFrame, AuthFrame,
                                  ProgramRequest, ProgramInput>;

DecodedFrame decode_request(std::string_view line);

// One line (with its `\n`) carrying `request`; only options that are set are written.
std::string encode_request(const GenerationRequest& request);
std::string encode_auth(std::string_view key);

}  // namespace weft::protocol
