#include "tokenizer/vocab.hpp"

#include <cmath>
#include <limits>
#include <unordered_map>

#include "weft/error.hpp"

namespace weft::tokenizer {
namespace {

using gguf::Value;
using gguf::ValueType;

class MetadataView {
 public:
  explicit MetadataView(std::span<const gguf::MetadataEntry> metadata) {
    for (const auto& entry : metadata) values_.emplace(entry.key, &entry.value);
  }

  const Value* find(std::string_view key) const {
    auto it = values_.find(std::string(key));
    return it == values_.end() ? nullptr : it->second;
  }

  std::optional<std::string> string(std::string_view key) const {
    const Value* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (const auto* text = std::get_if<std::string>(&value->data)) return *text;
    throw bad_type(key, "a string");
  }

  std::optional<bool> boolean(std::string_view key) const {
    const Value* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (const auto* flag = std::get_if<bool>(&value->data)) return *flag;
    throw bad_type(key, "a boolean");
  }

  // Token ids: the GGUF convention writes "none" as -1 or as UINT32_MAX.
  std::optional<TokenId> token_id(std::string_view key, int32_t vocab_size) const {
    const Value* value = find(key);
    if (value == nullptr) return std::nullopt;
    int64_t id = 0;
    if (const auto* unsigned_id = std::get_if<uint64_t>(&value->data)) {
      if (*unsigned_id == std::numeric_limits<uint32_t>::max()) return std::nullopt;
      if (*unsigned_id > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
        throw Error("tokenizer metadata: " + std::string(key) + " = " +
                    std::to_string(*unsigned_id) + " is not a token id");
      }
      id = static_cast<int64_t>(*unsigned_id);
    } else if (const auto* signed_id = std::get_if<int64_t>(&value->data)) {
      if (*signed_id == -1) return std::nullopt;
      id = *signed_id;
    } else {
      throw bad_type(key, "an integer");
    }
    if (id < 0 || id >= vocab_size) {
      throw Error("tokenizer metadata: " + std::string(key) + " = " + std::to_string(id) +
                  " is outside the vocabulary (0.." + std::to_string(vocab_size - 1) + ")");
    }
    return static_cast<TokenId>(id);
  }

  const std::vector<Value>* array(std::string_view key, ValueType element) const {
    const Value* value = find(key);
    if (value == nullptr) return nullptr;
    const auto* array = std::get_if<gguf::ArrayValue>(&value->data);
    if (array == nullptr) throw bad_type(key, "an array");
    if (!array->elements.empty() && !element_matches(array->element_type, element)) {
      throw bad_type(key, "an array of " + describe(element));
    }
    return &array->elements;
  }

 private:
  static bool is_integer(ValueType type) {
    return type != ValueType::float32 && type != ValueType::float64 && type != ValueType::boolean &&
           type != ValueType::string && type != ValueType::array;
  }
  static bool element_matches(ValueType actual, ValueType wanted) {
    if (wanted == ValueType::int32) return is_integer(actual);
    if (wanted == ValueType::float32)
      return actual == ValueType::float32 || actual == ValueType::float64;
    return actual == wanted;
  }
  static std::string describe(ValueType type) {
    switch (type) {
      case ValueType::string:
        return "strings";
      case ValueType::float32:
        return "floats";
      default:
        return "integers";
    }
  }
  static Error bad_type(std::string_view key, std::string_view wanted) {
    return Error("tokenizer metadata: " + std::string(key) + " is not " + std::string(wanted));
  }

  std::unordered_map<std::string, const Value*> values_;
};

std::vector<std::string> read_strings(const MetadataView& view, std::string_view key) {
  std::vector<std::string> out;
  const auto* elements = view.array(key, ValueType::string);
  if (elements == nullptr) return out;
  out.reserve(elements->size());
  for (const auto& element : *elements) out.push_back(std::get<std::string>(element.data));
  return out;
}

void check_length(std::string_view key, size_t actual, size_t expected) {
  if (actual != expected) {
    throw Error("tokenizer metadata: " + std::string(key) + " has " + std::to_string(actual) +
                " entries but tokenizer.ggml.tokens has " + std::to_string(expected));
  }
}

std::vector<float> read_scores(const MetadataView& view, size_t count) {
  std::vector<float> scores;
  const auto* elements = view.array("tokenizer.ggml.scores", ValueType::float32);
  if (elements == nullptr) return scores;
  check_length("tokenizer.ggml.scores", elements->size(), count);
  scores.reserve(count);
  for (const auto& element : *elements) {
    double score = std::get<double>(element.data);
    if (!std::isfinite(score)) score = -std::numeric_limits<float>::max();
    scores.push_back(static_cast<float>(score));
  }
  return scores;
}

TokenType to_token_type(const Value& value, size_t index) {
  int64_t raw = 0;
  if (const auto* u = std::get_if<uint64_t>(&value.data)) raw = static_cast<int64_t>(*u);
  if (const auto* s = std::get_if<int64_t>(&value.data)) raw = *s;
  if (raw < 0 || raw > static_cast<int64_t>(TokenType::byte)) {
    throw Error("tokenizer metadata: tokenizer.ggml.token_type[" + std::to_string(index) +
                "] = " + std::to_string(raw) + " is not a token type");
  }
  return static_cast<TokenType>(raw);
}

std::vector<TokenType> read_types(const MetadataView& view, size_t count) {
  const auto* elements = view.array("tokenizer.ggml.token_type", ValueType::int32);
  if (elements == nullptr) return std::vector<TokenType>(count, TokenType::normal);
  check_length("tokenizer.ggml.token_type", elements->size(), count);
  std::vector<TokenType> types;
  types.reserve(count);
  for (size_t i = 0; i < elements->size(); ++i) types.push_back(to_token_type((*elements)[i], i));
  return types;
}

// Models name their end-of-turn token differently; these are the spellings in use, the
// turn markers before the end-of-text ones.
constexpr std::string_view kEndOfTurnTexts[] = {
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<end_of_turn>",
    "<|eom_id|>",
    "<|END_OF_TURN_TOKEN|>",
    "<|end_of_text|>",
    "<|endoftext|>",
    "<\xEF\xBD\x9C"
    "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"};

std::optional<TokenId> guess_end_of_turn(const Vocab& vocab) {
  for (std::string_view text : kEndOfTurnTexts) {
    auto id = vocab.find(text);
    if (id && vocab.types[*id] == TokenType::control) return id;
  }
  return std::nullopt;
}

void read_special_ids(const MetadataView& view, Vocab& vocab) {
  int32_t n = vocab.size();
  vocab.bos = view.token_id("tokenizer.ggml.bos_token_id", n);
  vocab.eos = view.token_id("tokenizer.ggml.eos_token_id", n);
  vocab.eot = view.token_id("tokenizer.ggml.eot_token_id", n);
  vocab.eom = view.token_id("tokenizer.ggml.eom_token_id", n);
  vocab.unk = view.token_id("tokenizer.ggml.unknown_token_id", n);
  vocab.pad = view.token_id("tokenizer.ggml.padding_token_id", n);
  vocab.sep = view.token_id("tokenizer.ggml.seperator_token_id", n);
  vocab.cls = view.token_id("tokenizer.ggml.cls_token_id", n);
  vocab.mask = view.token_id("tokenizer.ggml.mask_token_id", n);
  if (!vocab.eot) vocab.eot = guess_end_of_turn(vocab);
}

void read_flags(const MetadataView& view, Vocab& vocab) {
  bool is_spm = vocab.model == "llama";
  bool is_bert = vocab.model == "bert";
  vocab.add_bos = view.boolean("tokenizer.ggml.add_bos_token").value_or(is_spm || is_bert);
  vocab.add_eos = view.boolean("tokenizer.ggml.add_eos_token").value_or(is_bert);
  vocab.add_space_prefix = view.boolean("tokenizer.ggml.add_space_prefix").value_or(is_spm);
  if (is_bert && !vocab.bos) vocab.bos = vocab.cls;
  if (is_bert && !vocab.eos) vocab.eos = vocab.sep;
}

}  // namespace

bool is_end_of_turn_text(std::string_view piece) {
  for (std::string_view text : kEndOfTurnTexts) {
    if (piece == text) return true;
  }
  return false;
}

std::optional<TokenId> Vocab::find(std::string_view piece) const {
  return index.find(piece, pieces);
}

Vocab load_vocab(std::span<const gguf::MetadataEntry> metadata) {
  MetadataView view(metadata);
  Vocab vocab;
  auto model = view.string("tokenizer.ggml.model");
  if (!model) throw Error("tokenizer metadata: tokenizer.ggml.model is missing");
  vocab.model = *model;
  if (vocab.model != "llama" && vocab.model != "gpt2" && vocab.model != "bert") {
    throw Error("tokenizer metadata: tokenizer.ggml.model '" + vocab.model +
                "' is not supported (supported: llama, gpt2, bert)");
  }
  vocab.pre = view.string("tokenizer.ggml.pre").value_or("default");
  vocab.pieces = read_strings(view, "tokenizer.ggml.tokens");
  if (vocab.pieces.empty())
    throw Error("tokenizer metadata: tokenizer.ggml.tokens is missing or empty");
  if (vocab.pieces.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw Error("tokenizer metadata: tokenizer.ggml.tokens has too many entries");
  }
  vocab.scores = read_scores(view, vocab.pieces.size());
  vocab.types = read_types(view, vocab.pieces.size());
  vocab.merges = read_strings(view, "tokenizer.ggml.merges");
  if (vocab.model == "gpt2" && vocab.merges.empty()) {
    throw Error("tokenizer metadata: tokenizer.ggml.merges is missing (required by model gpt2)");
  }
  vocab.index.build(vocab.pieces);
  read_special_ids(view, vocab);
  read_flags(view, vocab);
  return vocab;
}

}  // namespace weft::tokenizer
