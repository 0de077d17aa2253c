// Token-mask cost of constrained decoding: a JSON grammar over real vocabularies
// (deepseek-llm's 102,400-token byte-level BPE, GPT-2's, llama's SentencePiece). Each iteration
// walks one JSON document token by token, asking for the mask before each token as a generation
// would, under a hand-written JSON grammar and under the grammar of a JSON Schema
// (grammar::json_schema_to_gbnf) the document is valid under. "cold" compiles the grammar against
// the vocabulary afresh every iteration (every state's mask is computed by walking the vocabulary
// trie); "warm" reuses it, as a server does for a grammar it has seen before. The per_token counter
// is the average mask time.
//   ./build/bench/grammar_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "gguf/gguf_file.hpp"
#include "grammar/grammar.hpp"
#include "grammar/json_schema.hpp"
#include "grammar/token_matcher.hpp"
#include "tokenizer/tokenizer.hpp"

namespace {

using namespace weft;

constexpr std::string_view kJsonGrammar = R"g(
root   ::= ws value ws
value  ::= object | array | string | number | "true" | "false" | "null"
object ::= "{" ws ( member ( ws "," ws member )* )? ws "}"
member ::= string ws ":" ws value
array  ::= "[" ws ( value ( ws "," ws value )* )? ws "]"
string ::= "\"" ( [^"\\\x00-\x1f] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} ) )* "\""
number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?
ws     ::= [ \t\n]*
)g";

constexpr std::string_view kDocument = R"({
  "id": 48213,
  "name": "Grace Hopper",
  "email": "grace@example.com",
  "languages": ["COBOL", "FLOW-MATIC", "English"],
  "active": true,
  "score": -12.75e1,
  "address": {"city": "Arlington", "zip": "22201", "lines": ["1 Navy Way", null]},
  "notes": "She said: \"It's easier to ask forgiveness than it is to get permission.\""
})";

// A schema the document above is valid under (keys in the document's order).
constexpr std::string_view kSchema = R"({
  "type": "object",
  "properties": {
    "id": {"type": "integer", "minimum": 0},
    "name": {"type": "string", "maxLength": 64},
    "email": {"type": "string"},
    "languages": {"type": "array", "items": {"type": "string"}, "maxItems": 8},
    "active": {"type": "boolean"},
    "score": {"type": "number"},
    "address": {
      "type": "object",
      "properties": {
        "city": {"type": "string"},
        "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
        "lines": {"type": "array", "items": {"type": ["string", "null"]}}
      },
      "required": ["city", "zip"],
      "additionalProperties": false
    },
    "notes": {"type": "string"}
  },
  "required": ["id", "name", "email"],
  "additionalProperties": false
})";

std::string schema_grammar() {
  return grammar::json_schema_to_gbnf(nlohmann::ordered_json::parse(kSchema));
}

struct Vocabulary {
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
  std::shared_ptr<const grammar::TokenVocabulary> vocabulary;
  std::vector<tokenizer::TokenId> document;
};

const Vocabulary& vocabulary(const std::string& relative) {
  static std::map<std::string, Vocabulary> loaded;
  auto found = loaded.find(relative);
  if (found != loaded.end()) return found->second;
  auto file = gguf::GgufFile::open((std::filesystem::path(WEFT_SHARED_DIR) / relative).string());
  Vocabulary entry;
  entry.tokenizer = tokenizer::Tokenizer::from_gguf(*file);
  entry.vocabulary = std::make_shared<const grammar::TokenVocabulary>(*entry.tokenizer);
  entry.document = entry.tokenizer->encode(kDocument);
  return loaded.emplace(relative, std::move(entry)).first->second;
}

// One document's worth of masks; returns the tokens stepped over.
size_t walk_document(const std::shared_ptr<grammar::TokenGrammar>& compiled,
                     const Vocabulary& vocab) {
  grammar::TokenMatcher matcher(compiled);
  for (auto id : vocab.document) {
    auto mask = matcher.mask();
    benchmark::DoNotOptimize(mask);
    if (!matcher.accept(id)) throw std::runtime_error("the document does not fit the grammar");
  }
  benchmark::DoNotOptimize(matcher.mask());
  return vocab.document.size() + 1;
}

void report(benchmark::State& state, const Vocabulary& vocab, size_t masks) {
  state.counters["vocab"] = static_cast<double>(vocab.tokenizer->vocab_size());
  state.counters["per_token"] = benchmark::Counter(
      static_cast<double>(masks), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_MaskCold(benchmark::State& state, const std::string& file, bool schema) {
  const auto& vocab = vocabulary(file);
  auto parsed = grammar::parse_gbnf(schema ? schema_grammar() : std::string(kJsonGrammar));
  size_t masks = 0;
  for (auto _ : state) {
    auto compiled = std::make_shared<grammar::TokenGrammar>(parsed, vocab.vocabulary);
    masks += walk_document(compiled, vocab);
  }
  report(state, vocab, masks);
}

void BM_MaskWarm(benchmark::State& state, const std::string& file, bool schema) {
  const auto& vocab = vocabulary(file);
  auto compiled = std::make_shared<grammar::TokenGrammar>(
      grammar::parse_gbnf(schema ? schema_grammar() : std::string(kJsonGrammar)), vocab.vocabulary);
  walk_document(compiled, vocab);  // fills the caches
  size_t masks = 0;
  for (auto _ : state) masks += walk_document(compiled, vocab);
  report(state, vocab, masks);
}

void BM_VocabularyBuild(benchmark::State& state, const std::string& file) {
  const auto& vocab = vocabulary(file);
  for (auto _ : state) {
    grammar::TokenVocabulary built(*vocab.tokenizer);
    benchmark::DoNotOptimize(built.trie().size());
  }
  state.counters["trie_nodes"] = static_cast<double>(vocab.vocabulary->trie().size());
}

void BM_ParseJsonGrammar(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(grammar::parse_gbnf(kJsonGrammar));
}

// The largest real vocabulary in ../shared: 102,400 byte-level BPE tokens. (The qwen2
// fixture model carries a 512-token vocabulary, not Qwen's 151,936.)
const char* const kDeepseek = "models/vocab/ggml-vocab-deepseek-llm.gguf";
const char* const kGpt2 = "models/vocab/ggml-vocab-gpt-2.gguf";
const char* const kLlamaSpm = "models/vocab/ggml-vocab-llama-spm.gguf";

BENCHMARK_CAPTURE(BM_MaskCold, json_deepseek_llm, kDeepseek, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MaskWarm, json_deepseek_llm, kDeepseek, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_MaskCold, schema_deepseek_llm, kDeepseek, true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MaskWarm, schema_deepseek_llm, kDeepseek, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_MaskCold, json_gpt2, kGpt2, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MaskWarm, json_gpt2, kGpt2, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_MaskCold, json_llama_spm, kLlamaSpm, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MaskWarm, json_llama_spm, kLlamaSpm, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_VocabularyBuild, deepseek_llm, kDeepseek)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseJsonGrammar)->Unit(benchmark::kMicrosecond);

void BM_CompileSchemaGrammar(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(grammar::parse_gbnf(schema_grammar()));
}
BENCHMARK(BM_CompileSchemaGrammar)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
