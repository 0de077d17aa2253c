// Splits text into the words that byte-level BPE merges within, as chosen by
// `tokenizer.ggml.pre`. Each step is a Unicode regex (PCRE2, UTF + UCP) whose matches and the
// text between them both become pieces, like Hugging Face's `Split` with `Isolated`.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::tokenizer {

class UnicodeRegex;

class PreTokenizer {
 public:
  // Throws weft::Error naming `name` when no pre-tokenizer has that name.
  static PreTokenizer for_name(std::string_view name);
  static std::vector<std::string_view> known_names();
  // The name of the pre-tokenizer that is exactly one Split by `regex` (with NFC first or
  // not), for importing Hugging Face `Split` + `ByteLevel` pipelines.
  static std::optional<std::string_view> name_for_single_regex(std::string_view regex, bool nfc);
  // The regexes of the pre-tokenizer called `name`, applied in order; empty for an unknown
  // name.
  static std::vector<std::string_view> patterns_for(std::string_view name);

  PreTokenizer(PreTokenizer&&) noexcept;
  PreTokenizer& operator=(PreTokenizer&&) noexcept;
  ~PreTokenizer();

  // Pieces of `text`, in order, that together cover it exactly.
  std::vector<std::string_view> split(std::string_view text) const;
  // Whether the text is NFC-normalised before splitting (GPT-NeoX-family tokenizers).
  bool normalizes_nfc() const { return nfc_; }
  // Whether a word that is itself a token skips the merges (Llama 3).
  bool ignores_merges() const { return ignore_merges_; }

 private:
  PreTokenizer() = default;
  std::vector<std::unique_ptr<UnicodeRegex>> steps_;
  bool nfc_ = false;
  bool ignore_merges_ = false;
};

}  // namespace weft::tokenizer
