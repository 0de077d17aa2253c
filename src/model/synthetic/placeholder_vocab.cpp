#include "model/synthetic/placeholder_vocab.hpp"

#include <cstdio>
#include <string>
#include <unordered_set>
#include <vector>

#include "weft/error.hpp"

namespace weft::model::synthetic {
namespace {

// SentencePiece token types as GGUF stores them.
constexpr int32_t kNormal = 1;
constexpr int32_t kUnknown = 2;
constexpr int32_t kControl = 3;
constexpr int32_t kByte = 6;

// The word-boundary marker of SentencePiece, U+2581.
const std::string kSpace = "\xe2\x96\x81";

// Symbols the generated pieces are built from: the boundary marker, then letters by
// English frequency, so short common pieces come first.
std::vector<std::string> alphabet() {
  std::vector<std::string> symbols = {kSpace};
  for (char c : std::string("etaoinshrdlcumwfgypbvkjxqz")) symbols.emplace_back(1, c);
  return symbols;
}

// Single characters outside the alphabet that still deserve their own token.
std::vector<std::string> extra_characters() {
  std::vector<std::string> characters;
  for (char c = 'A'; c <= 'Z'; ++c) characters.emplace_back(1, c);
  for (char c = '0'; c <= '9'; ++c) characters.emplace_back(1, c);
  for (char c : std::string(".,!?;:'\"-()[]{}<>/\\@#$%&*+=_~`^|")) characters.emplace_back(1, c);
  return characters;
}

}  // namespace

void add_placeholder_vocab(gguf::GgufWriter& writer, uint32_t vocab) {
  if (vocab < 259) {
    throw Error(
        ErrorCode::invalid_request,
        "a generated vocabulary needs --vocab >= 259 (3 special and 256 byte tokens), got " +
            std::to_string(vocab));
  }
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {kUnknown, kControl, kControl};
  for (int byte = 0; byte < 256; ++byte) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", byte);
    tokens.emplace_back(name);
    types.push_back(kByte);
  }
  std::unordered_set<std::string> seen(tokens.begin(), tokens.end());
  auto add = [&](const std::string& piece) {
    if (tokens.size() >= vocab || !seen.insert(piece).second) return;
    tokens.push_back(piece);
    types.push_back(kNormal);
  };
  const std::vector<std::string> symbols = alphabet();
  for (const auto& symbol : symbols) add(symbol);
  for (const auto& character : extra_characters()) add(character);
  // All strings over the alphabet, by length: each one's prefix is already a token.
  std::vector<std::string> previous = symbols;
  while (tokens.size() < vocab) {
    std::vector<std::string> next;
    for (const auto& prefix : previous) {
      for (const auto& symbol : symbols) {
        next.push_back(prefix + symbol);
        add(next.back());
        if (tokens.size() >= vocab) break;
      }
      if (tokens.size() >= vocab) break;
    }
    previous = std::move(next);
  }
  // Earlier (shorter, more common) pieces score higher; SentencePiece merges the
  // highest-scoring pair first.
  std::vector<float> scores(tokens.size());
  for (size_t id = 0; id < tokens.size(); ++id) {
    scores[id] = types[id] == kNormal ? -static_cast<float>(id) : 0.0f;
  }
  writer.set_string("tokenizer.ggml.model", "llama");
  writer.set_string_array("tokenizer.ggml.tokens", tokens);
  writer.set_float32_array("tokenizer.ggml.scores", scores);
  writer.set_int32_array("tokenizer.ggml.token_type", types);
  writer.set_uint32("tokenizer.ggml.bos_token_id", 1);
  writer.set_uint32("tokenizer.ggml.eos_token_id", 2);
  writer.set_uint32("tokenizer.ggml.unknown_token_id", 0);
  writer.set_bool("tokenizer.ggml.add_bos_token", true);
  writer.set_bool("tokenizer.ggml.add_eos_token", false);
}

}  // namespace weft::model::synthetic
