// inferd's embeddings socket (inferd docs/protocol-v2.md §7, ADR 0017): NDJSON, one
// EmbedRequest line → one `embeddings` or `error` line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace weft::protocol::embed {

// EmbedErrorCode values beyond the generation socket's.
inline constexpr const char* kEmbedUnsupported = "embed_unsupported";

struct Request {
  std::string id;
  std::vector<std::string> inputs;
  std::optional<uint32_t> dimensions;  // Matryoshka truncation
  std::optional<std::string> task;     // one of the spec's task names
};

struct Failure {
  std::string id;
  std::string message;  // always invalid_request
};

// One line (without its `\n`). Never throws for bad input.
std::variant<Request, Failure> decode_request(std::string_view line);

// `vectors` already truncated to `dimensions`; each line ends with `\n`.
std::string encode_embeddings(const std::string& id, const std::vector<std::vector<float>>& vectors,
                              uint32_t dimensions, const std::string& model, uint32_t input_tokens,
                              const std::string& backend);
std::string encode_error(const std::string& id, std::string_view code, std::string_view message);

// Keeps the first `dimensions` values of each vector and scales it back to unit length, as
// Matryoshka-trained models are meant to be used.
void truncate_to_dimensions(std::vector<std::vector<float>>& vectors, uint32_t dimensions);

}  // namespace weft::protocol::embed
