// libFuzzer target for the output decoders: for every format, decoding an output whole, split
// at a point chosen by the input, and byte by byte must give the same result.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "chat/output_decoder.hpp"

namespace {

weft::chat::DecodedOutput decode(const weft::chat::DecoderConfig& config, const std::string& text,
                                 size_t split, bool bytewise) {
  weft::chat::OutputDecoder decoder(config);
  weft::chat::DecodedOutput out;
  if (bytewise) {
    for (char c : text) out.append(decoder.feed(std::string(1, c)));
  } else {
    out.append(decoder.feed(text.substr(0, split)));
    out.append(decoder.feed(text.substr(split)));
  }
  out.append(decoder.finish());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t split = data[0];
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  split = std::min(split, text.size());
  using weft::chat::ToolCallFormat;
  for (auto format : {ToolCallFormat::none, ToolCallFormat::hermes, ToolCallFormat::llama3,
                      ToolCallFormat::mistral}) {
    for (bool reasoning_first : {false, true}) {
      weft::chat::DecoderConfig config;
      config.tool_calls = format;
      config.starts_in_reasoning = reasoning_first;
      auto whole = decode(config, text, text.size(), false);
      if (!(decode(config, text, split, false) == whole)) std::abort();
      if (!(decode(config, text, 0, true) == whole)) std::abort();
    }
  }
  return 0;
}
