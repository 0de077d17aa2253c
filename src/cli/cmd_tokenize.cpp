#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.hpp"
#include "gguf/gguf_file.hpp"
#include "store/model_resolver.hpp"
#include "tokenizer/hf_import.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

using tokenizer::TokenId;

struct TokenizeOptions {
  std::string path;
  std::optional<std::string> text;  // from stdin when absent
  bool no_bos = false;
  bool no_eos = false;
  bool parse_special = false;
  bool pieces = false;
  bool jsonl = false;
  std::vector<TokenId> decode;
};

// A GGUF file's tokenizer, or a Hugging Face tokenizer.json converted on the fly.
std::unique_ptr<tokenizer::Tokenizer> load_tokenizer(const std::string& path) {
  if (std::filesystem::path(path).extension() == ".json") {
    return tokenizer::tokenizer_from_metadata(tokenizer::hf_tokenizer_metadata_from_file(path));
  }
  auto file = gguf::GgufFile::open(store::resolve_model_path(path));
  return tokenizer::Tokenizer::from_gguf(*file);
}

// Pieces may hold newlines, tabs or raw bytes; one token per line needs them escaped.
std::string escape(const std::string& piece) {
  std::string out;
  for (char c : piece) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (byte < 0x20 || byte == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", byte);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

// All of stdin, byte for byte (a trailing newline is text too).
std::string read_stdin() {
  std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  if (std::cin.bad()) throw Error(ErrorCode::invalid_request, "cannot read the text from stdin");
  return text;
}

tokenizer::EncodeOptions encode_options(const TokenizeOptions& options,
                                        const tokenizer::Tokenizer& tokenizer) {
  tokenizer::EncodeOptions encode;
  encode.add_bos = tokenizer.add_bos_by_default() && !options.no_bos;
  encode.add_eos = tokenizer.add_eos_by_default() && !options.no_eos;
  encode.parse_special = options.parse_special;
  return encode;
}

// One JSON string a line in, {"ids": [...], "decoded": "..."} a line out: many texts through
// one loaded tokenizer (tests/tokenizers compares them with Hugging Face's).
int tokenize_json_lines(const TokenizeOptions& options, const tokenizer::Tokenizer& tokenizer) {
  const tokenizer::EncodeOptions encode = encode_options(options, tokenizer);
  std::string line;
  for (size_t number = 1; std::getline(std::cin, line); ++number) {
    if (line.empty()) continue;
    const auto text = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!text.is_string()) {
      throw Error(ErrorCode::invalid_request,
                  "stdin line " + std::to_string(number) + " is not a JSON string");
    }
    const auto ids = tokenizer.encode(text.get_ref<const std::string&>(), encode);
    const nlohmann::json result{{"ids", ids}, {"decoded", tokenizer.decode(ids)}};
    std::puts(result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  }
  return 0;
}

int tokenize(const TokenizeOptions& options) {
  auto tokenizer = load_tokenizer(options.path);
  if (options.jsonl) return tokenize_json_lines(options, *tokenizer);
  if (!options.decode.empty()) {
    std::string text = tokenizer->decode(options.decode);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    return 0;
  }
  auto ids = tokenizer->encode(options.text ? *options.text : read_stdin(),
                               encode_options(options, *tokenizer));
  if (options.pieces) {
    for (TokenId id : ids) std::printf("%d\t%s\n", id, escape(tokenizer->piece(id)).c_str());
    return 0;
  }
  std::string line;
  for (TokenId id : ids) {
    if (!line.empty()) line += ' ';
    line += std::to_string(id);
  }
  std::puts(line.c_str());
  return 0;
}

}  // namespace

Command add_tokenize_command(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  auto* sub = app.add_subcommand("tokenize",
                                 "Turn TEXT (or stdin) into token ids, or ids back into "
                                 "text, with a model's tokenizer");
  sub->add_option("file", options->path,
                  "GGUF file or store name (docs/models.md), or a Hugging Face tokenizer.json")
      ->required();
  sub->add_option("text", options->text,
                  "Text to tokenize; without it, all of stdin as it is (a final newline too)");
  sub->add_flag("--no-bos", options->no_bos,
                "Do not add BOS even where the vocabulary asks for it");
  sub->add_flag("--no-eos", options->no_eos,
                "Do not add EOS (e.g. BERT's [SEP]) even where the vocabulary asks for it");
  sub->add_flag("--parse-special", options->parse_special,
                "Turn the text of control tokens (e.g. <|im_start|>) into those tokens");
  sub->add_flag("--pieces", options->pieces, "Print one token per line: id, tab, stored piece");
  sub->add_flag("--jsonl", options->jsonl,
                "Read one JSON string per stdin line; print {\"ids\": [...], \"decoded\": "
                "\"...\"} per line");
  sub->add_option("--decode", options->decode, "Print the text of these ids instead")
      ->expected(1, -1);
  sub->callback([sub, options] {
    if (!options->decode.empty() && sub->count("text") > 0) {
      throw CLI::ValidationError("--decode", "give either TEXT or --decode IDS, not both");
    }
    if (options->jsonl && (sub->count("text") > 0 || !options->decode.empty())) {
      throw CLI::ValidationError("--jsonl", "reads its texts from stdin: no TEXT or --decode");
    }
  });
  return {sub, [options] { return tokenize(*options); }};
}

}  // namespace weft::cli
