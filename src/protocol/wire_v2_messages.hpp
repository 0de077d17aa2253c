// The JSON bodies of inferd wire v2's generation socket (inferd docs/protocol-v2.md §3–§4):
// RequestV2 → a weft GenerationRequest with every field validated where it enters, the
// attachment table and blob descriptors, and the response frames (`frame`, `done`, `error`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "weft/types.hpp"

namespace weft::protocol::v2 {

inline constexpr uint32_t kWireVersion = 1;
// Per-request attachment bounds (spec §3.7, THREAT_MODEL F-1).
inline constexpr size_t kMaxAttachments = 32;
inline constexpr uint64_t kMaxAttachmentBytes = 128u * 1024u * 1024u;

// ErrorCodeV2 (spec §4.3).
namespace code {
inline constexpr const char* queue_full = "queue_full";
inline constexpr const char* backend_unavailable = "backend_unavailable";
inline constexpr const char* invalid_request = "invalid_request";
inline constexpr const char* frame_too_large = "frame_too_large";
inline constexpr const char* internal = "internal";
inline constexpr const char* attachment_unsupported = "attachment_unsupported";
inline constexpr const char* tool_call_malformed = "tool_call_malformed";
inline constexpr const char* wire_version_unsupported = "wire_version_unsupported";
}  // namespace code

struct Attachment {
  std::string id;
  std::string kind;          // "image", "audio" or "video"
  uint64_t image_bytes = 0;  // an image's width × height × 3 (interleaved RGB)
  // Image and audio bytes follow the request as descriptor + BLOB frames (clients send none
  // for an empty image); video is reserved and has no byte format yet.
  bool carries_bytes() const { return kind == "audio" || (kind == "image" && image_bytes > 0); }
};

struct Request {
  GenerationRequest generation;  // id, messages, tools, sampling, grammar from response_format
  std::vector<Attachment> attachments;
  bool stream = true;
  bool thinking = false;
  bool has_tools = false;
};

// A request answered with one terminal `error` frame. `close`: the connection cannot go on
// (wire version mismatch, or an attachment table whose BLOB frames cannot be followed).
struct Failure {
  std::string id;
  std::string code;
  std::string message;
  bool close = false;
};

// `payload` is one JSON frame. Never throws for bad input.
std::variant<Request, Failure> decode_request(std::string_view payload);

struct BlobDescriptor {
  std::string attachment_id;
  uint64_t len = 0;
};
// A message naming what is wrong, or the descriptor.
std::variant<BlobDescriptor, std::string> decode_blob_descriptor(std::string_view payload);

// Response frames, each one whole wire frame (length, type 0x01, JSON).
std::string encode_text_delta(const std::string& id, std::string_view delta);
std::string encode_thinking_delta(const std::string& id, std::string_view delta);
std::string encode_tool_use(const std::string& id, const std::string& tool_call_id,
                            const std::string& name, const nlohmann::ordered_json& input);
// `stop_reason`: end_turn, max_tokens, tool_use, stop_sequence, cancelled or error.
std::string encode_done(const std::string& id, uint32_t input_tokens, uint32_t output_tokens,
                        std::string_view stop_reason, const std::string& backend);
std::string encode_error(const std::string& id, std::string_view code, std::string_view message);

}  // namespace weft::protocol::v2
