#include "tokenizer/hf_import.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "gguf/gguf_writer.hpp"
#include "tokenizer/pre_tokenizer.hpp"
#include "tokenizer/space_mark.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/error.hpp"

namespace weft::tokenizer {
namespace {

using nlohmann::json;

// A problem with the tokenizer.json text; hf_tokenizer_metadata adds the file's name.
class TokenizerJsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

TokenizerJsonError import_error(const std::string& what) {
  return TokenizerJsonError(what);
}

// `where` is the path of `object` inside the JSON ("" for the top level).
const json& require(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    throw import_error((where.empty() ? std::string(key) : where + "." + key) + " is missing");
  }
  return object.at(key);
}

gguf::MetadataEntry string_entry(std::string key, std::string value) {
  return {std::move(key), gguf::Value{gguf::ValueType::string, std::move(value)}};
}
gguf::MetadataEntry uint_entry(std::string key, uint32_t value) {
  return {std::move(key), gguf::Value{gguf::ValueType::uint32, uint64_t{value}}};
}
gguf::MetadataEntry bool_entry(std::string key, bool value) {
  return {std::move(key), gguf::Value{gguf::ValueType::boolean, value}};
}
gguf::MetadataEntry string_array_entry(std::string key, std::vector<std::string> values) {
  gguf::ArrayValue array{gguf::ValueType::string, {}};
  array.elements.reserve(values.size());
  for (auto& value : values) array.elements.push_back({gguf::ValueType::string, std::move(value)});
  return {std::move(key), gguf::Value{gguf::ValueType::array, std::move(array)}};
}
gguf::MetadataEntry int_array_entry(std::string key, const std::vector<int32_t>& values) {
  gguf::ArrayValue array{gguf::ValueType::int32, {}};
  array.elements.reserve(values.size());
  for (int32_t value : values) array.elements.push_back({gguf::ValueType::int32, int64_t{value}});
  return {std::move(key), gguf::Value{gguf::ValueType::array, std::move(array)}};
}

gguf::MetadataEntry float_array_entry(std::string key, const std::vector<float>& values) {
  gguf::ArrayValue array{gguf::ValueType::float32, {}};
  // Filled in place: a braced temporary per element trips GCC 12's -Wmaybe-uninitialized.
  array.elements.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    array.elements[i].type = gguf::ValueType::float32;
    array.elements[i].data = double{values[i]};
  }
  return {std::move(key), gguf::Value{gguf::ValueType::array, std::move(array)}};
}

bool is_byte_level(const json& step, bool want_regex) {
  return step.is_object() && step.value("type", "") == "ByteLevel" &&
         step.value("use_regex", true) == want_regex && !step.value("add_prefix_space", false);
}

bool is_isolated_regex_split(const json& step) {
  return step.is_object() && step.value("type", "") == "Split" &&
         step.value("behavior", "") == "Isolated" && !step.value("invert", false) &&
         step.contains("pattern") && step.at("pattern").is_object() &&
         step.at("pattern").contains("Regex") && step.at("pattern").at("Regex").is_string();
}

// The GGUF pre-tokenizer name that does what the tokenizer.json pipeline does.
std::string pre_tokenizer_name(const json& root) {
  const json& normalizer = root.contains("normalizer") ? root.at("normalizer") : json();
  bool nfc = normalizer.is_object() && normalizer.value("type", "") == "NFC";
  if (!normalizer.is_null() && !nfc) {
    throw import_error("normalizer " + normalizer.dump().substr(0, 80) + " is not supported");
  }
  const json& pre = require(root, "pre_tokenizer", "");
  if (is_byte_level(pre, true)) return nfc ? "mpt" : "gpt-2";
  if (pre.value("type", "") == "Sequence") {
    const json& steps = require(pre, "pretokenizers", "pre_tokenizer");
    if (!nfc && steps.is_array() && steps.size() == 2 && steps[0].value("type", "") == "Digits" &&
        steps[0].value("individual_digits", false) && is_byte_level(steps[1], true)) {
      return "smollm";
    }
    if (steps.is_array() && steps.size() == 2 && is_isolated_regex_split(steps[0]) &&
        is_byte_level(steps[1], false)) {
      auto regex = steps[0].at("pattern").at("Regex").get<std::string>();
      if (auto name = PreTokenizer::name_for_single_regex(regex, nfc)) return std::string(*name);
    }
  }
  throw import_error(
      "pre_tokenizer " + pre.dump().substr(0, 120) +
      " is not supported (supported: ByteLevel, Digits(individual)+ByteLevel, Split by "
      "the Llama 3 or Qwen2 pattern + ByteLevel)");
}

bool is_space_mark_replace(const json& step) {
  return step.is_object() && step.value("type", "") == "Replace" && step.contains("pattern") &&
         step.at("pattern").is_object() && step.at("pattern").value("String", "") == " " &&
         step.value("content", "") == kSpaceMark;
}

bool is_space_mark_prepend(const json& step) {
  return step.is_object() && step.value("type", "") == "Prepend" &&
         step.value("prepend", "") == kSpaceMark;
}

// Whether a SentencePiece-style normalizer puts "▁" before the text (Llama 2's Prepend +
// Replace) or only writes spaces as "▁" (Gemma 3's Replace).
bool space_mark_prefix(const json& root) {
  const json& normalizer = require(root, "normalizer", "");
  if (is_space_mark_replace(normalizer)) return false;
  if (normalizer.is_object() && normalizer.value("type", "") == "Sequence") {
    const json& steps = require(normalizer, "normalizers", "normalizer");
    if (steps.is_array() && steps.size() == 2 && is_space_mark_prepend(steps[0]) &&
        is_space_mark_replace(steps[1])) {
      return true;
    }
  }
  throw import_error("normalizer " + normalizer.dump().substr(0, 120) +
                     " is not supported with byte_fallback (supported: Replace(' ', '▁'), "
                     "optionally after Prepend('▁'))");
}

// After the normalizer no space is left, so a split at " " (Gemma 3's pre-tokenizer) keeps
// the text whole, as no pre-tokenizer does.
void check_no_op_pre_tokenizer(const json& root) {
  const json& pre = root.contains("pre_tokenizer") ? root.at("pre_tokenizer") : json();
  if (pre.is_null()) return;
  if (pre.is_object() && pre.value("type", "") == "Split" && !pre.value("invert", false) &&
      pre.contains("pattern") && pre.at("pattern").is_object() &&
      pre.at("pattern").value("String", "") == " ") {
    return;
  }
  throw import_error("pre_tokenizer " + pre.dump().substr(0, 120) +
                     " is not supported with byte_fallback (supported: none, or a Split at ' ')");
}

std::string merge_text(const json& merge, size_t index) {
  if (merge.is_string()) return merge.get<std::string>();
  if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
    return merge[0].get<std::string>() + " " + merge[1].get<std::string>();
  }
  throw import_error("model.merges[" + std::to_string(index) +
                     "] is neither \"a b\" nor [\"a\", \"b\"]");
}

bool is_token_id(const json& value) {
  return value.is_number_integer() && value.get<int64_t>() >= 0 &&
         value.get<int64_t>() <= INT32_MAX;
}

int32_t token_id_value(const json& value, const std::string& where) {
  if (!is_token_id(value)) throw import_error(where + " is not a token id");
  return static_cast<int32_t>(value.get<int64_t>());
}

struct TokenTable {
  std::vector<std::string> pieces;
  std::vector<int32_t> types;
};

TokenTable read_tokens(const json& model, const json& root) {
  const json& vocab = require(model, "vocab", "model");
  if (!vocab.is_object()) throw import_error("model.vocab is not an object");
  std::map<int32_t, std::pair<std::string, TokenType>> by_id;
  for (const auto& [piece, id] : vocab.items()) {
    by_id[token_id_value(id, "model.vocab[\"" + piece + "\"]")] = {piece, TokenType::normal};
  }
  if (root.contains("added_tokens")) {
    const json& added = root.at("added_tokens");
    for (size_t i = 0; i < added.size(); ++i) {
      std::string where = "added_tokens[" + std::to_string(i) + "]";
      int32_t id = token_id_value(require(added[i], "id", where), where + ".id");
      const json& content = require(added[i], "content", where);
      if (!content.is_string()) throw import_error(where + ".content is not a string");
      bool special = added[i].value("special", false);
      by_id[id] = {content.get<std::string>(),
                   special ? TokenType::control : TokenType::user_defined};
    }
  }
  if (by_id.empty()) throw import_error("model.vocab is empty");
  TokenTable table;
  size_t count = static_cast<size_t>(by_id.rbegin()->first) + 1;
  table.pieces.resize(count);
  table.types.assign(count, static_cast<int32_t>(TokenType::unused));
  for (size_t id = 0; id < count; ++id) table.pieces[id] = "[PAD" + std::to_string(id) + "]";
  for (auto& [id, entry] : by_id) {
    table.pieces[static_cast<size_t>(id)] = std::move(entry.first);
    table.types[static_cast<size_t>(id)] = static_cast<int32_t>(entry.second);
  }
  return table;
}

// config.json names the ids directly; eos_token_id may be a list (the first is EOS). Errors
// name `config_name`, the file the ids came from.
void add_special_ids(const json& config, const std::string& config_name,
                     std::vector<gguf::MetadataEntry>& out, size_t vocab_size) {
  const std::pair<const char*, const char*> keys[] = {
      {"bos_token_id", "tokenizer.ggml.bos_token_id"},
      {"eos_token_id", "tokenizer.ggml.eos_token_id"},
      {"pad_token_id", "tokenizer.ggml.padding_token_id"}};
  if (!config.is_object()) throw Error(config_name + ": not a JSON object");
  for (const auto& [json_key, gguf_key] : keys) {
    if (!config.contains(json_key) || config.at(json_key).is_null()) continue;
    json value = config.at(json_key);
    if (value.is_array() && !value.empty()) value = value[0];
    if (!is_token_id(value)) throw Error(config_name + ": " + json_key + " is not a token id");
    auto id = value.get<int64_t>();
    if (static_cast<size_t>(id) >= vocab_size) {
      throw Error(config_name + ": " + json_key + " = " + std::to_string(id) +
                  " is outside the vocabulary (" + std::to_string(vocab_size) + " tokens)");
    }
    std::erase_if(out,
                  [key = gguf_key](const gguf::MetadataEntry& entry) { return entry.key == key; });
    out.push_back(uint_entry(gguf_key, static_cast<uint32_t>(id)));
  }
}

json parse(std::string_view text, const std::string& name) {
  try {
    return json::parse(text);
  } catch (const json::exception& error) {
    throw Error(name + ": not valid JSON: " + error.what());
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> read_merges(const json& model) {
  const json& merges_json = require(model, "merges", "model");
  std::vector<std::string> merges;
  merges.reserve(merges_json.size());
  for (size_t i = 0; i < merges_json.size(); ++i) merges.push_back(merge_text(merges_json[i], i));
  return merges;
}

// The BOS the post-processor puts first (TemplateProcessing), or nullopt when it adds none.
std::optional<int32_t> template_bos(const json& root) {
  const json& post = root.contains("post_processor") ? root.at("post_processor") : json();
  if (!post.is_object() || post.value("type", "") != "TemplateProcessing") return std::nullopt;
  const json& single = require(post, "single", "post_processor");
  if (!single.is_array() || single.empty() || !single[0].contains("SpecialToken")) {
    return std::nullopt;
  }
  const auto name =
      require(single[0].at("SpecialToken"), "id", "post_processor.single[0]").get<std::string>();
  const json& special = require(post, "special_tokens", "post_processor");
  const json& ids = require(require(special, name.c_str(), "post_processor.special_tokens"), "ids",
                            "post_processor.special_tokens." + name);
  if (!ids.is_array() || ids.size() != 1) {
    throw import_error("post_processor.special_tokens." + name + ".ids is not one token id");
  }
  return token_id_value(ids[0], "post_processor.special_tokens." + name + ".ids[0]");
}

void add_template_bos(const json& root, std::vector<gguf::MetadataEntry>& out) {
  const auto bos = template_bos(root);
  out.push_back(bool_entry("tokenizer.ggml.add_bos_token", bos.has_value()));
  out.push_back(bool_entry("tokenizer.ggml.add_eos_token", false));
  // config.json, when there is one, names the ids again (add_special_ids replaces this).
  if (bos) out.push_back(uint_entry("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(*bos)));
}

// "<0x0A>": Hugging Face's byte_fallback pieces.
bool is_byte_piece(std::string_view piece) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); };
  return piece.size() == 6 && piece.substr(0, 3) == "<0x" && hex(piece[3]) && hex(piece[4]) &&
         piece[5] == '>';
}

// SentencePiece-style scores for consumers that merge by score (llama.cpp): a piece ranks
// as the first merge that forms it; pieces no merge forms rank below all of them. weft
// itself merges by the merges' ranks, which is exactly what Hugging Face does.
std::vector<float> scores_from_merges(const TokenTable& tokens,
                                      const std::vector<std::string>& merges) {
  std::unordered_map<std::string_view, size_t> ids;
  ids.reserve(tokens.pieces.size());
  for (size_t id = 0; id < tokens.pieces.size(); ++id) ids.emplace(tokens.pieces[id], id);
  std::vector<float> scores(tokens.pieces.size(), -static_cast<float>(merges.size()) - 1.0f);
  std::vector<bool> scored(tokens.pieces.size(), false);
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    joined = merges[rank];
    const size_t space = joined.find(' ', 1);
    if (space == std::string::npos) continue;
    joined.erase(space, 1);
    auto it = ids.find(joined);
    if (it == ids.end() || scored[it->second]) continue;
    scored[it->second] = true;
    scores[it->second] = -static_cast<float>(rank);
  }
  return scores;
}

// A BPE with byte_fallback (Gemma 3, Llama 2): SentencePiece-style, so `llama` metadata,
// with the merges kept so that weft merges in Hugging Face's order.
std::vector<gguf::MetadataEntry> sentencepiece_bpe_metadata(const json& root, const json& model) {
  if (model.value("ignore_merges", false)) {
    throw import_error("model.ignore_merges is not supported with byte_fallback");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(key) && !model.at(key).is_null() && model.at(key) != "") {
      throw import_error(std::string("model.") + key + " is not supported with byte_fallback");
    }
  }
  const bool add_prefix = space_mark_prefix(root);
  check_no_op_pre_tokenizer(root);

  TokenTable tokens = read_tokens(model, root);
  for (size_t id = 0; id < tokens.pieces.size(); ++id) {
    if (tokens.types[id] == static_cast<int32_t>(TokenType::normal) &&
        is_byte_piece(tokens.pieces[id])) {
      tokens.types[id] = static_cast<int32_t>(TokenType::byte);
    }
  }
  std::vector<std::string> merges = read_merges(model);
  std::vector<float> scores = scores_from_merges(tokens, merges);

  std::vector<gguf::MetadataEntry> out;
  out.push_back(string_entry("tokenizer.ggml.model", "llama"));
  out.push_back(string_entry("tokenizer.ggml.pre", "default"));
  if (model.contains("unk_token") && model.at("unk_token").is_string()) {
    const auto unk = model.at("unk_token").get<std::string>();
    auto it = std::find(tokens.pieces.begin(), tokens.pieces.end(), unk);
    if (it == tokens.pieces.end()) {
      throw import_error("model.unk_token '" + unk + "' is not in the vocabulary");
    }
    out.push_back(uint_entry("tokenizer.ggml.unknown_token_id",
                             static_cast<uint32_t>(it - tokens.pieces.begin())));
  }
  out.push_back(string_array_entry("tokenizer.ggml.tokens", std::move(tokens.pieces)));
  out.push_back(int_array_entry("tokenizer.ggml.token_type", tokens.types));
  out.push_back(float_array_entry("tokenizer.ggml.scores", scores));
  out.push_back(string_array_entry("tokenizer.ggml.merges", std::move(merges)));
  out.push_back(bool_entry("tokenizer.ggml.add_space_prefix", add_prefix));
  add_template_bos(root, out);
  return out;
}

std::vector<gguf::MetadataEntry> byte_level_bpe_metadata(const json& root, const json& model) {
  std::string pre = pre_tokenizer_name(root);
  TokenTable tokens = read_tokens(model, root);
  std::vector<gguf::MetadataEntry> out;
  out.push_back(string_entry("tokenizer.ggml.model", "gpt2"));
  out.push_back(string_entry("tokenizer.ggml.pre", pre));
  out.push_back(string_array_entry("tokenizer.ggml.tokens", std::move(tokens.pieces)));
  out.push_back(int_array_entry("tokenizer.ggml.token_type", tokens.types));
  out.push_back(string_array_entry("tokenizer.ggml.merges", read_merges(model)));
  // A byte-level tokenizer.json adds no BOS unless its post-processor says so.
  add_template_bos(root, out);
  return out;
}

std::vector<gguf::MetadataEntry> tokenizer_json_metadata(const json& root) {
  if (!root.is_object() || !root.contains("model")) {
    throw import_error("model is missing: not a Hugging Face tokenizer.json");
  }
  const json& model = root.at("model");
  if (model.value("type", "") != "BPE") {
    throw import_error("model.type '" + model.value("type", std::string("?")) +
                       "' is not supported (only BPE: byte-level, or with byte_fallback)");
  }
  if (model.value("byte_fallback", false)) return sentencepiece_bpe_metadata(root, model);
  return byte_level_bpe_metadata(root, model);
}

size_t token_count(const std::vector<gguf::MetadataEntry>& metadata) {
  for (const auto& entry : metadata) {
    if (entry.key == "tokenizer.ggml.tokens")
      return std::get<gguf::ArrayValue>(entry.value.data).elements.size();
  }
  return 0;
}

}  // namespace

std::vector<gguf::MetadataEntry> hf_tokenizer_metadata(std::string_view tokenizer_json,
                                                       std::string_view config_json,
                                                       const std::string& tokenizer_name,
                                                       const std::string& config_name) {
  std::vector<gguf::MetadataEntry> out;
  try {
    out = tokenizer_json_metadata(parse(tokenizer_json, tokenizer_name));
  } catch (const TokenizerJsonError& error) {
    throw Error(tokenizer_name + ": " + error.what());
  } catch (const json::exception& error) {  // a value of the wrong JSON type somewhere
    throw Error(tokenizer_name + ": unexpected structure: " + error.what());
  }
  if (!config_json.empty()) {
    add_special_ids(parse(config_json, config_name), config_name, out, token_count(out));
  }
  return out;
}

std::vector<gguf::MetadataEntry> hf_tokenizer_metadata_from_file(
    const std::filesystem::path& path) {
  auto config_path = path.parent_path() / "config.json";
  std::string config =
      std::filesystem::exists(config_path) ? read_file(config_path) : std::string();
  return hf_tokenizer_metadata(read_file(path), config, path.string(), config_path.string());
}

void add_tokenizer_metadata(gguf::GgufWriter& writer,
                            const std::vector<gguf::MetadataEntry>& metadata) {
  for (const auto& entry : metadata) writer.set(entry.key, entry.value);
}

}  // namespace weft::tokenizer
