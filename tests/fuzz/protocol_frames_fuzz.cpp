// libFuzzer target for the daemon's input path: bytes → NDJSON frames → requests. Any input
// must split into frames without crashing, and every frame must decode to exactly one of
// request, invalid request, unparseable frame or auth line. A decoded request must survive
// encode → decode unchanged (id, messages, max_tokens).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/framing.hpp"
#include "protocol/request_codec.hpp"

namespace {

void check_round_trip(const weft::protocol::DecodedRequest& decoded) {
  auto again = weft::protocol::decode_request(weft::protocol::encode_request(decoded.request));
  const auto* request = std::get_if<weft::protocol::DecodedRequest>(&again);
  if (!request) std::abort();
  const auto& original = decoded.request;
  if (request->request.id != original.id ||
      request->request.messages.size() != original.messages.size() ||
      request->request.options.max_tokens != original.options.max_tokens) {
    std::abort();
  }
  for (size_t i = 0; i < original.messages.size(); ++i) {
    if (request->request.messages[i].content != original.messages[i].content ||
        request->request.messages[i].role != original.messages[i].role) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // A small limit so that the oversize path is reachable with small inputs; the first byte
  // picks how the bytes are cut into reads.
  weft::protocol::FrameReader reader(256);
  size_t piece = size > 0 ? 1 + data[0] % 64 : 1;
  std::string line;
  for (size_t offset = 0; offset <= input.size(); offset += piece) {
    if (offset < input.size()) {
      reader.append(input.substr(offset, piece));
    } else {
      reader.finish();
    }
    while (true) {
      auto status = reader.next(line);
      if (status == weft::protocol::FrameReader::Status::too_large) return 0;
      if (status != weft::protocol::FrameReader::Status::frame) break;
      auto decoded = weft::protocol::decode_request(line);
      if (auto* request = std::get_if<weft::protocol::DecodedRequest>(&decoded)) {
        check_round_trip(*request);
      }
    }
  }
  return 0;
}
