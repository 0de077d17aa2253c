// Response frames of inferd protocol v1 (PROTOCOLS §1): token, done, error and status.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "weft/client.hpp"
#include "weft/events.hpp"

namespace weft::protocol {

// Each returns one line including its `\n`. Invalid UTF-8 is replaced, never thrown on.
std::string encode_token(std::string_view id, std::string_view content);
std::string encode_done(std::string_view id, std::string_view full_text, const Usage& usage,
                        StopReason reason, std::string_view backend);
std::string encode_error(std::string_view id, ErrorCode code, std::string_view message);
// *Extension* (docs/protocol.md, "Programs"): what a program sent with session.send, and its
// end: a `done` whose content is the program's result as JSON text.
std::string encode_program_message(std::string_view id, std::string_view message);
// One session.sendFile of a program: `{"id", "type": "file", "index", "bytes", "data"}`, where
// `index` counts the run's files from 1 and `data` is the bytes in base64.
std::string encode_program_file(std::string_view id, int64_t index, std::string_view bytes);
// Extension: a client message (request_codec.hpp's ProgramInput) that was not delivered.
std::string encode_message_refused(std::string_view id, ErrorCode code, std::string_view message);
std::string encode_program_done(std::string_view id, std::string_view result_json,
                                std::string_view program, std::string_view backend);
// An error frame with `program_error` saying how the program ended: "failed" (main threw),
// "timeout", "stopped" (by the daemon) or "exited" (the process died without a result).
std::string encode_program_error(std::string_view id, ErrorCode code, std::string_view how,
                                 std::string_view message);

// Parses a daemon → client frame; throws weft::Error(internal) naming what is malformed.
client::Frame decode_response(std::string_view line);

}  // namespace weft::protocol
