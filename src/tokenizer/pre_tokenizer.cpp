#include "tokenizer/pre_tokenizer.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <algorithm>

#include <array>
#include <initializer_list>

#include "tokenizer/utf8.hpp"
#include "weft/error.hpp"

namespace weft::tokenizer {

// A compiled, JIT-accelerated PCRE2 pattern. Matching allocates its own match data, so one
// pattern serves many threads.
class UnicodeRegex {
 public:
  explicit UnicodeRegex(std::string_view pattern) {
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    // DOLLAR_ENDONLY: `$` means the end of the piece, as in the Rust regexes the patterns
    // come from, not "before a final newline".
    uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                          &error_code, &error_offset, nullptr);
    if (code_ == nullptr) {
      std::array<PCRE2_UCHAR, 256> message{};
      pcre2_get_error_message(error_code, message.data(), message.size());
      throw Error(ErrorCode::internal, "pre-tokenizer pattern does not compile at offset " +
                                           std::to_string(error_offset) + ": " +
                                           reinterpret_cast<const char*>(message.data()));
    }
    pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);  // falls back to the interpreter on failure
  }
  ~UnicodeRegex() { pcre2_code_free(code_); }
  UnicodeRegex(const UnicodeRegex&) = delete;
  UnicodeRegex& operator=(const UnicodeRegex&) = delete;

  // Appends to `out` the matches of the pattern in `text` and the gaps between them.
  void split_into(std::string_view text, pcre2_match_data* match,
                  std::vector<std::string_view>& out) const {
    size_t gap_start = 0;
    size_t offset = 0;
    while (offset <= text.size()) {
      int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), offset, 0,
                           match, nullptr);
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) {
        std::array<PCRE2_UCHAR, 256> message{};
        pcre2_get_error_message(rc, message.data(), message.size());
        throw Error(ErrorCode::internal, "pre-tokenizer match failed at byte " +
                                             std::to_string(offset) + ": " +
                                             reinterpret_cast<const char*>(message.data()));
      }
      const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match);
      size_t start = ovector[0];
      size_t end = ovector[1];
      if (end == start) {  // an empty match splits nothing; step over one character
        if (start >= text.size()) break;
        offset = start + utf8_char_length(text, start);
        continue;
      }
      if (start > gap_start) out.push_back(text.substr(gap_start, start - gap_start));
      out.push_back(text.substr(start, end - start));
      gap_start = end;
      offset = end;
    }
    if (gap_start < text.size()) out.push_back(text.substr(gap_start));
  }

  pcre2_code* code() const { return code_; }

 private:
  pcre2_code* code_ = nullptr;
};

namespace {

// GPT-2's pattern as Hugging Face's ByteLevel pre-tokenizer applies it.
constexpr std::string_view kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// Llama 3 and Qwen2 as their tokenizer.json spell them: the contractions match caselessly
// with Unicode case folding, as in the Rust regex engine Hugging Face uses.
constexpr std::string_view kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kSingleDigits = R"(\p{N})";
constexpr std::string_view kLineBreak = R"([\r\n])";
constexpr std::string_view kCjkRuns = R"([一-龥ࠀ-一가-퟿]+)";
// DeepSeek LLM's letter classes (the cased Latin, Greek, Cyrillic, Armenian, Georgian ... ranges
// of its tokenizer.json) and its ASCII/full-width punctuation runs.
constexpr std::string_view kDeepseekLetters =
    R"(\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\x{1F7D}ᾀ-ᾴᾶ-ᾼ\x{1FBE}ῂ-ῄῆ-ῌῐ-\x{1FD3}ῖ-\x{1FDB}ῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\x{2126}ℨ\x{212A}-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+)";
constexpr std::string_view kDeepseekPunctuation = R"(\s?[!-/:-~！-／：-～‘-‟　-。]+)";
constexpr std::string_view kTrailingSpace = R"(\s+$)";
constexpr std::string_view kDeepseekCoderLetters = R"(\s?\p{L}+)";
constexpr std::string_view kDeepseekCoderPunctuation = R"(\s?\p{P}+)";
// Falcon: runs of punctuation (ASCII symbols included) first, then GPT-2's pattern,
// then digit runs cut into groups of three.
constexpr std::string_view kFalconPunctuation = R"([\p{P}\$\+<=>\^~\|`]+)";
constexpr std::string_view kThreeDigits = R"([0-9][0-9][0-9])";

struct Recipe {
  std::initializer_list<std::string_view> names;
  std::initializer_list<std::string_view> patterns;
  bool nfc = false;
  bool ignore_merges = false;
};

const std::initializer_list<Recipe>& recipes() {
  static const std::initializer_list<Recipe> list = {
      {{"default", "gpt-2", "gpt2", "olmo", "jais", "poro-chat", "viking", "gpt3-finnish"},
       {kGpt2}},
      {{"mpt"}, {kGpt2}, true},
      {{"llama-bpe", "llama3", "llama-v3", "smaug-bpe", "dbrx"}, {kLlama3}, false, true},
      {{"qwen2", "deepseek-r1-qwen"}, {kQwen2}, true},  // Qwen2's tokenizer.json normalises to NFC
      {{"stablelm2"}, {kQwen2}},
      {{"deepseek-llm"},
       {kLineBreak, kDeepseekLetters, kDeepseekPunctuation, kTrailingSpace, kCjkRuns,
        kSingleDigits}},
      {{"deepseek-coder"},
       {kLineBreak, kDeepseekCoderLetters, kDeepseekCoderPunctuation, kCjkRuns, kSingleDigits}},
      {{"falcon"}, {kFalconPunctuation, kGpt2, kThreeDigits}},
      {{"starcoder", "refact", "smollm", "command-r", "codeshell", "exaone", "minerva-7b"},
       {kSingleDigits, kGpt2}},
  };
  return list;
}

}  // namespace

PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;
PreTokenizer::~PreTokenizer() = default;

std::optional<std::string_view> PreTokenizer::name_for_single_regex(std::string_view regex,
                                                                    bool nfc) {
  for (const auto& recipe : recipes()) {
    if (recipe.patterns.size() == 1 && *recipe.patterns.begin() == regex && recipe.nfc == nfc) {
      return *recipe.names.begin();
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> PreTokenizer::known_names() {
  std::vector<std::string_view> names;
  for (const auto& recipe : recipes()) names.insert(names.end(), recipe.names);
  return names;
}

std::vector<std::string_view> PreTokenizer::patterns_for(std::string_view name) {
  for (const auto& recipe : recipes()) {
    if (std::find(recipe.names.begin(), recipe.names.end(), name) != recipe.names.end()) {
      return {recipe.patterns.begin(), recipe.patterns.end()};
    }
  }
  return {};
}

PreTokenizer PreTokenizer::for_name(std::string_view name) {
  for (const auto& recipe : recipes()) {
    for (auto known : recipe.names) {
      if (known != name) continue;
      PreTokenizer pre;
      for (auto pattern : recipe.patterns)
        pre.steps_.push_back(std::make_unique<UnicodeRegex>(pattern));
      pre.nfc_ = recipe.nfc;
      pre.ignore_merges_ = recipe.ignore_merges;
      return pre;
    }
  }
  std::string list;
  for (auto known : known_names()) list += (list.empty() ? "" : ", ") + std::string(known);
  throw Error("tokenizer metadata: tokenizer.ggml.pre '" + std::string(name) +
              "' is not a known pre-tokenizer (known: " + list + ")");
}

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
  std::vector<std::string_view> pieces{text};
  if (text.empty()) return {};
  std::vector<std::string_view> next;
  for (const auto& step : steps_) {
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> match(
        pcre2_match_data_create_from_pattern(step->code(), nullptr), &pcre2_match_data_free);
    if (!match) throw Error(ErrorCode::internal, "pre-tokenizer: out of memory for match data");
    next.clear();
    next.reserve(pieces.size() * 2);
    for (auto piece : pieces) step->split_into(piece, match.get(), next);
    pieces.swap(next);
  }
  return pieces;
}

}  // namespace weft::tokenizer
