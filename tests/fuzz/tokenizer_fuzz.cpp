// libFuzzer target for the tokenizers: any bytes must encode on every model family without
// crashing, decode back exactly where the vocabulary covers every byte, and stream as valid
// UTF-8 that adds up to the decoded text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/utf8.hpp"

namespace {

using weft::tokenizer::StreamingDetokenizer;
using weft::tokenizer::Tokenizer;

struct Loaded {
  std::unique_ptr<Tokenizer> tokenizer;
  bool lossless;
};

std::vector<Loaded> load_all() {
  std::vector<Loaded> loaded;
  for (auto [name, lossless] :
       {std::pair{"gpt-2", true}, std::pair{"llama-spm", true}, std::pair{"deepseek-llm", false},
        std::pair{"falcon", false}, std::pair{"bert-bge", false}}) {
    auto file = weft::gguf::GgufFile::open(std::string(WEFT_SHARED_DIR) +
                                           "/models/vocab/ggml-vocab-" + name + ".gguf");
    loaded.push_back({Tokenizer::from_gguf(*file), lossless});
  }
  return loaded;
}

void check(const Loaded& entry, std::string_view text, bool parse_special) {
  const Tokenizer& tokenizer = *entry.tokenizer;
  auto ids = tokenizer.encode(text, {.add_bos = true, .parse_special = parse_special});
  for (auto id : ids) {
    if (id < 0 || id >= tokenizer.vocab_size()) std::abort();
  }
  std::string decoded = tokenizer.decode(ids, /*render_special=*/parse_special);
  // Parsed special text is not plain text any more (SentencePiece restarts words after it).
  // SentencePiece writes spaces as "▁", so a "▁" in the input comes back as a space.
  bool has_space_mark = text.find("\xE2\x96\x81") != std::string_view::npos;
  bool must_round_trip =
      entry.lossless && !parse_special && !(tokenizer.model_name() == "llama" && has_space_mark);
  if (must_round_trip && decoded != text) std::abort();

  StreamingDetokenizer stream(tokenizer);
  std::string streamed;
  for (auto id : ids) {
    std::string piece = stream.push(id);
    if (!weft::tokenizer::is_valid_utf8(piece)) std::abort();
    streamed += piece;
  }
  streamed += stream.flush();
  if (!weft::tokenizer::is_valid_utf8(streamed)) std::abort();
  if (must_round_trip && weft::tokenizer::is_valid_utf8(text) && streamed != text) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<Loaded> tokenizers = load_all();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& entry : tokenizers) {
    check(entry, text, /*parse_special=*/false);
    check(entry, text, /*parse_special=*/true);
  }
  return 0;
}
