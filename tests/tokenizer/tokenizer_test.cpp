// Loading, special tokens and validation of tokenizer metadata.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "support/shared_files.hpp"
#include "support/vocab_vectors.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/error.hpp"

namespace weft::tokenizer {
namespace {

std::shared_ptr<const gguf::GgufFile> open_vocab(const std::string& name) {
  return gguf::GgufFile::open(test::vocab_gguf_path(name).string());
}

std::vector<TokenId> expected_ids(const test::VocabVectors& vectors, const std::string& input) {
  auto it = std::find(vectors.inputs.begin(), vectors.inputs.end(), input);
  if (it == vectors.inputs.end()) throw std::runtime_error("no test string '" + input + "'");
  return vectors.expected[static_cast<size_t>(it - vectors.inputs.begin())];
}

std::vector<TokenId> concat(std::initializer_list<std::vector<TokenId>> parts) {
  std::vector<TokenId> out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// Vocabularies without vectors still load, and their text survives encode → decode.
TEST(Tokenizer, EveryVocabularyLoadsAndRoundTrips) {
  auto inputs = test::load_vocab_inputs("gpt-2");
  ASSERT_FALSE(inputs.empty());
  // ../shared/models/vocab holds 13 vocabularies with GGUF files; fewer means a broken lookup.
  ASSERT_GE(test::vocab_names().size(), 13u);
  for (const auto& name : test::vocab_names()) {
    auto tokenizer = Tokenizer::from_gguf(*open_vocab(name));
    EXPECT_GT(tokenizer->vocab_size(), 0) << name;
    if (tokenizer->model_name() == "bert") continue;  // WordPiece lowercases: not lossless
    size_t round_trips = 0;
    for (const auto& input : inputs) {
      auto ids = tokenizer->encode(input, {.add_bos = tokenizer->add_bos_by_default()});
      bool same = tokenizer->decode(ids) == input;
      EXPECT_TRUE(same) << name << ": '" << input << "'";
      round_trips += same ? 1 : 0;
    }
    std::printf("%s round trips: %zu/%zu\n", name.c_str(), round_trips, inputs.size());
  }
}

TEST(Tokenizer, ParsesControlTokenTextOnlyWhenAsked) {
  auto vectors = test::load_vocab_vectors("gpt-2");
  auto tokenizer = Tokenizer::from_gguf(*open_vocab("gpt-2"));
  TokenId end = *tokenizer->find_piece("<|endoftext|>");
  ASSERT_EQ(tokenizer->type(end), TokenType::control);

  std::string text = "Hello<|endoftext|> Hello";
  auto parsed = tokenizer->encode(text, {.parse_special = true});
  EXPECT_EQ(parsed,
            concat({expected_ids(vectors, "Hello"), {end}, expected_ids(vectors, " Hello")}));

  auto plain = tokenizer->encode(text, {.parse_special = false});
  EXPECT_EQ(std::count(plain.begin(), plain.end(), end), 0);
  EXPECT_EQ(tokenizer->decode(plain), text);
}

// After a special token, SentencePiece starts a new text with its leading space again.
TEST(Tokenizer, SentencePieceRestartsAfterSpecialTokens) {
  auto vectors = test::load_vocab_vectors("llama-spm");
  auto tokenizer = Tokenizer::from_gguf(*open_vocab("llama-spm"));
  TokenId eos = *tokenizer->eos();
  auto ids = tokenizer->encode("Hello</s>Hello", {.add_bos = true, .parse_special = true});
  EXPECT_EQ(ids, concat({{*tokenizer->bos()},
                         expected_ids(vectors, "Hello"),
                         {eos},
                         expected_ids(vectors, "Hello")}));
}

TEST(Tokenizer, UserDefinedTokensAreAlwaysRecognised) {
  auto tokenizer = Tokenizer::from_gguf(*open_vocab("deepseek-coder"));
  const std::string hole =
      "<\xEF\xBD\x9C"
      "fim\xE2\x96\x81hole\xEF\xBD\x9C>";  // "<｜fim▁hole｜>"
  TokenId id = *tokenizer->find_piece(hole);
  ASSERT_EQ(tokenizer->type(id), TokenType::user_defined);
  EXPECT_EQ(tokenizer->encode(hole, {.parse_special = false}), std::vector<TokenId>{id});
  EXPECT_EQ(tokenizer->decode(std::vector<TokenId>{id}), hole);
}

TEST(Tokenizer, SpecialIdsAndFlagsComeFromMetadata) {
  auto llama = Tokenizer::from_gguf(*open_vocab("llama-spm"));
  EXPECT_EQ(llama->model_name(), "llama");
  EXPECT_EQ(llama->piece(*llama->bos()), "<s>");
  EXPECT_EQ(llama->piece(*llama->eos()), "</s>");
  EXPECT_TRUE(llama->add_bos_by_default());
  EXPECT_FALSE(llama->add_eos_by_default());
  EXPECT_TRUE(llama->is_end_of_generation(*llama->eos()));
  EXPECT_FALSE(llama->is_end_of_generation(*llama->bos()));
  EXPECT_EQ(llama->token_bytes(*llama->find_piece("<0x0A>")), "\n");

  auto phi3 = Tokenizer::from_gguf(*open_vocab("phi-3"));
  EXPECT_TRUE(phi3->is_end_of_generation(*phi3->find_piece("<|end|>")));

  auto gpt2 = Tokenizer::from_gguf(*open_vocab("gpt-2"));
  EXPECT_EQ(gpt2->model_name(), "gpt2");
  EXPECT_FALSE(gpt2->add_bos_by_default());
  EXPECT_EQ(gpt2->token_bytes(*gpt2->find_piece("\xC4\xA0the")), " the");  // "Ġthe"
}

// BERT's ids of a sentence come framed by [CLS] ... [SEP] when the defaults are asked for.
TEST(Tokenizer, WordPieceAddsClsAndSepByDefault) {
  auto vectors = test::load_vocab_vectors("bert-bge");
  auto file = open_vocab("bert-bge");
  auto tokenizer = Tokenizer::from_gguf(*file);
  auto cls = static_cast<TokenId>(*file->get_uint("tokenizer.ggml.cls_token_id"));
  auto sep = static_cast<TokenId>(*file->get_uint("tokenizer.ggml.seperator_token_id"));
  auto ids = tokenizer->encode("Hello world", {.add_bos = tokenizer->add_bos_by_default(),
                                               .add_eos = tokenizer->add_eos_by_default()});
  EXPECT_EQ(ids, concat({{cls}, expected_ids(vectors, "Hello world"), {sep}}));
}

// encode/decode are const and keep no state: one tokenizer serves many threads.
TEST(Tokenizer, EncodesConcurrentlyWithTheSameResults) {
  auto vectors = test::load_vocab_vectors("gpt-2");
  auto tokenizer = Tokenizer::from_gguf(*open_vocab("gpt-2"));
  std::vector<std::thread> threads;
  std::vector<size_t> matched(4, 0);
  for (size_t t = 0; t < matched.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < vectors.inputs.size(); ++i) {
          matched[t] += tokenizer->encode(vectors.inputs[i]) == vectors.expected[i] ? 1 : 0;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (size_t count : matched) EXPECT_EQ(count, 20 * vectors.inputs.size());
}

std::vector<gguf::MetadataEntry> with_value(std::vector<gguf::MetadataEntry> metadata,
                                            const std::string& key, gguf::Value value) {
  std::erase_if(metadata, [&](const auto& entry) { return entry.key == key; });
  metadata.push_back({key, std::move(value)});
  return metadata;
}

std::vector<gguf::MetadataEntry> without(std::vector<gguf::MetadataEntry> metadata,
                                         const std::string& key) {
  std::erase_if(metadata, [&](const auto& entry) { return entry.key == key; });
  return metadata;
}

std::string metadata_error_of(const std::vector<gguf::MetadataEntry>& metadata) {
  try {
    tokenizer_from_metadata(metadata);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(Tokenizer, RejectsUnknownPreTokenizerByName) {
  auto file = open_vocab("gpt-2");
  gguf::Value pre{gguf::ValueType::string, std::string("no-such-pre")};
  std::string message = metadata_error_of(with_value(file->metadata(), "tokenizer.ggml.pre", pre));
  EXPECT_NE(message.find("'no-such-pre'"), std::string::npos) << message;
  EXPECT_NE(message.find("tokenizer.ggml.pre"), std::string::npos) << message;
}

// Read from a file, the error says which file: the metadata alone does not know.
TEST(Tokenizer, UnknownPreTokenizerErrorNamesTheFile) {
  auto gpt2 = open_vocab("gpt-2");
  gguf::GgufWriter writer;
  for (const auto& entry : gpt2->metadata()) writer.set(entry.key, entry.value);
  writer.set_string("tokenizer.ggml.pre", "no-such-pre");
  auto file = gguf::GgufFile::from_buffer(writer.to_bytes(), "vocab-with-odd-pre.gguf");
  try {
    Tokenizer::from_gguf(*file);
    ADD_FAILURE() << "accepted an unknown pre-tokenizer";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what())
                  .rfind("vocab-with-odd-pre.gguf: tokenizer metadata: tokenizer.ggml.pre "
                         "'no-such-pre' is not a known pre-tokenizer",
                         0),
              0u)
        << error.what();
  }
}

TEST(Tokenizer, RejectsMalformedMetadataNamingTheKey) {
  auto file = open_vocab("llama-spm");
  const auto& metadata = file->metadata();
  EXPECT_NE(
      metadata_error_of(without(metadata, "tokenizer.ggml.model")).find("tokenizer.ggml.model"),
      std::string::npos);
  EXPECT_NE(
      metadata_error_of(without(metadata, "tokenizer.ggml.tokens")).find("tokenizer.ggml.tokens"),
      std::string::npos);
  gguf::Value model{gguf::ValueType::string, std::string("rwkv")};
  EXPECT_NE(metadata_error_of(with_value(metadata, "tokenizer.ggml.model", model)).find("rwkv"),
            std::string::npos);
  gguf::Value bos{gguf::ValueType::uint32, uint64_t{40000}};
  EXPECT_NE(metadata_error_of(with_value(metadata, "tokenizer.ggml.bos_token_id", bos))
                .find("bos_token_id"),
            std::string::npos);
  gguf::Value scores{gguf::ValueType::array, gguf::ArrayValue{gguf::ValueType::float32, {}}};
  std::get<gguf::ArrayValue>(scores.data).elements.push_back({gguf::ValueType::float32, 0.5});
  EXPECT_NE(metadata_error_of(with_value(metadata, "tokenizer.ggml.scores", scores))
                .find("tokenizer.ggml.scores"),
            std::string::npos);
  EXPECT_NE(metadata_error_of(without(open_vocab("gpt-2")->metadata(), "tokenizer.ggml.merges"))
                .find("merges"),
            std::string::npos);
}

std::vector<gguf::MetadataEntry> with_bool(std::vector<gguf::MetadataEntry> metadata,
                                           const std::string& key, bool flag) {
  return with_value(std::move(metadata), key, gguf::Value{gguf::ValueType::boolean, flag});
}

std::vector<gguf::MetadataEntry> with_id(std::vector<gguf::MetadataEntry> metadata,
                                         const std::string& key, TokenId id) {
  return with_value(std::move(metadata), key,
                    gguf::Value{gguf::ValueType::uint32, static_cast<uint64_t>(id)});
}

TokenId id_of(const gguf::GgufFile& file, std::string_view piece) {
  auto pieces = *file.get_string_array("tokenizer.ggml.tokens");
  auto it = std::find(pieces.begin(), pieces.end(), piece);
  if (it == pieces.end()) throw std::runtime_error("no piece '" + std::string(piece) + "'");
  return static_cast<TokenId>(it - pieces.begin());
}

// Without add_space_prefix SentencePiece puts no "▁" before the first word: "Hello world" is
// "Hello" "▁world", not "▁Hello" "▁world". Ids come from the vocabulary's own piece list.
TEST(Tokenizer, SentencePieceWithoutSpacePrefix) {
  auto file = open_vocab("llama-spm");
  const TokenId hello = id_of(*file, "Hello");
  const TokenId space_hello = id_of(*file, "\xE2\x96\x81Hello");  // "▁Hello"
  const TokenId space_world = id_of(*file, "\xE2\x96\x81world");  // "▁world"
  auto plain = tokenizer_from_metadata(
      with_bool(file->metadata(), "tokenizer.ggml.add_space_prefix", false));
  EXPECT_EQ(plain->encode("Hello world"), (std::vector<TokenId>{hello, space_world}));
  EXPECT_FALSE(plain->strips_leading_space());
  EXPECT_EQ(plain->decode(std::vector<TokenId>{hello, space_world}), "Hello world");
  auto prefixed = Tokenizer::from_gguf(*file);  // the default for model llama: with prefix
  EXPECT_EQ(prefixed->encode("Hello world"), (std::vector<TokenId>{space_hello, space_world}));
}

// tokenizer.ggml.eot_token_id wins over the guess from the end-of-turn texts: phi-3's file
// has no such key, so "<|end|>" is guessed; naming another token makes that one EOT.
TEST(Tokenizer, EndOfTurnComesFromMetadataWhenGiven) {
  auto file = open_vocab("phi-3");
  const TokenId end = id_of(*file, "<|end|>");
  const TokenId user = id_of(*file, "<|user|>");
  EXPECT_EQ(Tokenizer::from_gguf(*file)->eot(), end);
  auto tokenizer =
      tokenizer_from_metadata(with_id(file->metadata(), "tokenizer.ggml.eot_token_id", user));
  EXPECT_EQ(tokenizer->eot(), user);
  EXPECT_TRUE(tokenizer->is_end_of_generation(user));
  gguf::Value none{gguf::ValueType::int32, int64_t{-1}};
  auto no_eot =
      tokenizer_from_metadata(with_value(file->metadata(), "tokenizer.ggml.eot_token_id", none));
  EXPECT_EQ(no_eot->eot(), end) << "-1 means none, so the guess applies";
}

TEST(Tokenizer, UnknownAndPaddingTokensComeFromMetadata) {
  auto bert_file = open_vocab("bert-bge");
  auto bert = Tokenizer::from_gguf(*bert_file);
  EXPECT_EQ(bert->unk(), id_of(*bert_file, "[UNK]"));
  EXPECT_EQ(bert->pad(), id_of(*bert_file, "[PAD]"));
  auto llama_file = open_vocab("llama-spm");
  auto llama = Tokenizer::from_gguf(*llama_file);
  EXPECT_EQ(llama->unk(), id_of(*llama_file, "<unk>"));
  EXPECT_EQ(llama->pad(), std::nullopt);  // the file has no padding_token_id
  auto stories = gguf::GgufFile::open(test::shared_path("models/stories260K/stories260K-f32.gguf"));
  EXPECT_EQ(*stories->get_uint("tokenizer.ggml.padding_token_id"), 4294967295u);
  EXPECT_EQ(Tokenizer::from_gguf(*stories)->pad(), std::nullopt);
  for (std::string key : {"tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id"}) {
    std::string message = metadata_error_of(with_id(llama_file->metadata(), key, 32000));
    EXPECT_NE(message.find(key + " = 32000 is outside the vocabulary"), std::string::npos)
        << message;
  }
}

// Unused tokens (type 5) are never produced by encoding and decode to nothing: with
// "▁world" marked unused, " world" has to be spelt from other pieces.
TEST(Tokenizer, UnusedTokensAreNeverProducedAndDecodeToNothing) {
  auto file = open_vocab("llama-spm");
  const TokenId space_world = id_of(*file, "\xE2\x96\x81world");
  gguf::Value types = *file->find("tokenizer.ggml.token_type");
  auto& elements = std::get<gguf::ArrayValue>(types.data).elements;
  ASSERT_EQ(std::get<int64_t>(elements[space_world].data), 1);  // normal
  elements[space_world].data = int64_t{5};                      // unused
  auto tokenizer =
      tokenizer_from_metadata(with_value(file->metadata(), "tokenizer.ggml.token_type", types));
  EXPECT_EQ(tokenizer->type(space_world), TokenType::unused);
  auto ids = tokenizer->encode("Hello world");
  EXPECT_EQ(std::count(ids.begin(), ids.end(), space_world), 0);
  EXPECT_GT(ids.size(), 2u);
  EXPECT_EQ(tokenizer->decode(ids), "Hello world");
  EXPECT_EQ(tokenizer->token_bytes(space_world), "");
  EXPECT_EQ(tokenizer->decode(std::vector<TokenId>{space_world}), "");
}

// add_eos_token is not only for BERT: set on a SentencePiece vocabulary, EOS is appended.
TEST(Tokenizer, AddEosTokenOnASentencePieceVocabulary) {
  auto file = open_vocab("llama-spm");
  EXPECT_FALSE(Tokenizer::from_gguf(*file)->add_eos_by_default());  // the file says false
  auto tokenizer =
      tokenizer_from_metadata(with_bool(file->metadata(), "tokenizer.ggml.add_eos_token", true));
  ASSERT_TRUE(tokenizer->add_eos_by_default());
  const TokenId bos = id_of(*file, "<s>");
  const TokenId eos = id_of(*file, "</s>");
  auto ids = tokenizer->encode("Hello world", {.add_bos = tokenizer->add_bos_by_default(),
                                               .add_eos = tokenizer->add_eos_by_default()});
  EXPECT_EQ(ids, (std::vector<TokenId>{bos, id_of(*file, "\xE2\x96\x81Hello"),
                                       id_of(*file, "\xE2\x96\x81world"), eos}));
}

// stories260K writes "no token" as 4294967295.
TEST(Tokenizer, TreatsAllOnesIdAsAbsent) {
  auto file =
      gguf::GgufFile::open(test::vocab_gguf_path("gpt-2").parent_path().parent_path().string() +
                           "/stories260K/stories260K-f32.gguf");
  auto tokenizer = Tokenizer::from_gguf(*file);
  EXPECT_EQ(tokenizer->vocab_size(), 512);
  EXPECT_TRUE(tokenizer->bos().has_value());
}

}  // namespace
}  // namespace weft::tokenizer
