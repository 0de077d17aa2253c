// libFuzzer target for the inferd wire v2 input path: bytes → length-prefixed frames →
// RequestV2 / blob descriptors. Any input must split into frames or a malformed-stream error
// without crashing; a frame's payload never passes the cap; every JSON frame decodes to a
// request or a failure with a code from the spec's closed set.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "protocol/wire_v2_framing.hpp"
#include "protocol/wire_v2_messages.hpp"

namespace {

namespace v2 = weft::protocol::v2;

bool known_code(const std::string& code) {
  for (const char* name : {v2::code::invalid_request, v2::code::attachment_unsupported,
                           v2::code::frame_too_large, v2::code::wire_version_unsupported}) {
    if (code == name) return true;
  }
  return false;
}

void check_json_frame(const std::string& payload) {
  auto decoded = v2::decode_request(payload);
  if (auto* failure = std::get_if<v2::Failure>(&decoded)) {
    if (!known_code(failure->code) || failure->message.empty()) std::abort();
  }
  (void)v2::decode_blob_descriptor(payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  v2::FrameDecoder decoder;
  // Two pieces, split where the first byte says, as reads may split a stream anywhere.
  const size_t split = size == 0 ? 0 : data[0] % (size + 1);
  decoder.append(bytes.substr(0, split));
  decoder.append(bytes.substr(split));
  decoder.finish();
  v2::Frame frame;
  while (true) {
    const auto status = decoder.next(frame);
    if (status == v2::FrameDecoder::Status::frame) {
      if (frame.payload.size() > v2::kMaxFramePayload) std::abort();
      if (frame.type == v2::FrameType::json) check_json_frame(frame.payload);
      continue;
    }
    if (status == v2::FrameDecoder::Status::need_more) std::abort();  // finished: never
    if (status == v2::FrameDecoder::Status::malformed && decoder.error().empty()) std::abort();
    break;
  }
  return 0;
}
