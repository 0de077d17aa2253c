#include "runtime/same_vocabulary.hpp"

#include <cstdio>

#include "weft/error.hpp"

namespace weft::runtime {
namespace {

// Token text for a message: printable ASCII as it is, other bytes as \xNN.
std::string printable(const std::string& bytes) {
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  return out + "\"";
}

TokenBytes bytes_of(const tokenizer::Tokenizer& tokenizer) {
  return [&tokenizer](int32_t token) -> std::optional<std::string> {
    if (token < 0 || token >= tokenizer.vocab_size()) return std::nullopt;
    return tokenizer.token_bytes(token);
  };
}

}  // namespace

void require_same_vocabulary(const VocabularyOf& target, const VocabularyOf& draft) {
  const std::string models =
      "the draft model \"" + draft.name + "\" and the target model \"" + target.name + "\"";
  if (draft.size != target.size) {
    throw Error(ErrorCode::invalid_request, models + " have different vocabularies (" +
                                                std::to_string(draft.size) + " and " +
                                                std::to_string(target.size) + " tokens)");
  }
  for (int64_t id = 0; id < target.size; ++id) {
    const auto token = static_cast<int32_t>(id);
    const auto in_draft = draft.bytes(token);
    const auto in_target = target.bytes(token);
    if (in_draft == in_target) continue;
    throw Error(ErrorCode::invalid_request,
                models + " have different vocabularies: token " + std::to_string(id) + " is " +
                    (in_draft ? printable(*in_draft) : "missing") + " in the draft and " +
                    (in_target ? printable(*in_target) : "missing") + " in the target");
  }
}

void require_same_vocabulary(const tokenizer::Tokenizer& target, const std::string& target_name,
                             const tokenizer::Tokenizer& draft, const std::string& draft_name) {
  require_same_vocabulary({target_name, target.vocab_size(), bytes_of(target)},
                          {draft_name, draft.vocab_size(), bytes_of(draft)});
}

}  // namespace weft::runtime
