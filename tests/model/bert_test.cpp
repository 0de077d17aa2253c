// BERT-family encoders (bert, nomic-bert) against llama.cpp's llama-embedding. The models are
// small random-weight files written by weft's mkmodel code with the real BERT vocabulary of
// ../shared/models/vocab/ggml-vocab-bert-bge.gguf; llama.cpp's embeddings of four sentences
// for those same files are stored in tests/data/bert/ with the commands that made them
// (README there). The files (about 8 MB each, most of it the 30522-row token embedding) are
// not stored: each is regenerated here, and its SHA-256 must equal the one the references
// were made from. The whole path runs: text → WordPiece ([CLS] … [SEP]) → the encoder →
// the pooling the file names → the vector, through NativeBackend as `weft embed` and the HTTP
// routes use it. CLS pooling reads the first row only, so it matches only if that row saw the
// tokens after it (bidirectional attention).
//
// Broken on purpose once each (by hand through `weft embed --raw`), the worst 1 − cosine over
// the four inputs went from ≤ 2.4e-9 to: causal attention 0.14 (bert mean), 0.58 (bert CLS),
// 0.36 and 0.86 (nomic-bert mean, CLS); no token-type row 0.31 and 0.34 (bert mean, CLS); no
// token-type row and no rope 0.87 and 1.26 (nomic-bert).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "backend/native_backend.hpp"
#include "gguf/gguf_file.hpp"
#include "model/model.hpp"
#include "model/synthetic/synthetic_model.hpp"
#include "runtime/engine.hpp"
#include "support/sha256_digest.hpp"
#include "support/shared_files.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/error.hpp"
#include "weft/generation.hpp"

namespace weft {
namespace {

constexpr double kMinEncoderCosine = 0.9999;

struct EncoderFile {
  const char* name;     // tests/data/bert/<name>.embeddings.txt
  const char* arch;     // weft mkmodel --arch
  const char* pooling;  // weft mkmodel --pooling
  const char* sha256;   // of the file llama.cpp's references were computed on
};

const EncoderFile kEncoderFiles[] = {
    {"bert-mean", "bert", "mean",
     "5fb5179e1679a809cd79c4e4f01012fedb48f015094f91a001e37c55085c13cb"},
    {"bert-cls", "bert", "cls", "0c1ce79fa6c4aad8ba322582891f53a99595823cc79decf6be2db58b4d1e7ace"},
    {"nomic-bert-mean", "nomic-bert", "mean",
     "612f4787b0b78af58f10fcebee503cc4d1301aa36b6f800a31810b5d26af1473"},
    {"nomic-bert-cls", "nomic-bert", "cls",
     "4cfd3c611f9abbf1f3c84e354cd0e0349f34bdf1ca5a0b7a736d6406fa6eb424"},
};

std::filesystem::path bert_data_file(const std::string& name) {
  return std::filesystem::path(WEFT_SOURCE_DIR) / "tests/data/bert" / name;
}

std::vector<std::string> bert_data_lines(const std::string& name) {
  std::ifstream in(bert_data_file(name));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Whitespace-separated numbers, one vector (or token list) per line.
std::vector<std::vector<double>> bert_data_numbers(const std::string& name) {
  std::vector<std::vector<double>> rows;
  for (const auto& line : bert_data_lines(name)) {
    std::istringstream in(line);
    auto& row = rows.emplace_back();
    for (double value; in >> value;) row.push_back(value);
  }
  return rows;
}

// What `weft mkmodel --arch ARCH --tokenizer ggml-vocab-bert-bge.gguf --dim 64 --layers 2
// --heads 4 --ffn 128 --ctx 64 --type f32 --seed 11 --pooling POOLING` writes.
std::vector<std::byte> generate_encoder_file(const EncoderFile& file) {
  model::synthetic::SyntheticOptions options;
  options.shape = model::synthetic::custom_shape(file.arch);
  options.shape.embedding = 64;
  options.shape.layers = 2;
  options.shape.heads = 4;
  options.shape.kv_heads = 4;
  options.shape.feed_forward = 128;
  options.shape.context = 64;
  options.shape.pooling = std::string(file.pooling) == "cls" ? 2 : 1;
  options.recipe = *model::synthetic::parse_type_recipe("f32");
  options.seed = 11;
  options.threads = 2;
  options.tokenizer = model::synthetic::tokenizer_metadata_of(
      *gguf::GgufFile::open(test::shared_path("models/vocab/ggml-vocab-bert-bge.gguf").string()));
  return model::synthetic::SyntheticModel::generate(options).writer().to_bytes();
}

// The regenerated file on disk, for the backend to load as `weft embed` does.
class EncoderModelFile {
 public:
  explicit EncoderModelFile(const EncoderFile& file)
      : path_(std::filesystem::temp_directory_path() /
              ("weft-bert-test-" + std::to_string(::getpid()) + "-" + file.name + ".gguf")) {
    const auto bytes = generate_encoder_file(file);
    sha256_ = test::sha256_hex(bytes);
    std::ofstream out(path_, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  ~EncoderModelFile() { std::filesystem::remove(path_); }
  EncoderModelFile(const EncoderModelFile&) = delete;
  EncoderModelFile& operator=(const EncoderModelFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const std::string& sha256() const { return sha256_; }

 private:
  std::filesystem::path path_;
  std::string sha256_;
};

double encoder_cosine(const std::vector<float>& ours, const std::vector<double>& theirs) {
  EXPECT_EQ(ours.size(), theirs.size());
  double dot = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < std::min(ours.size(), theirs.size()); ++i) {
    dot += ours[i] * theirs[i];
    aa += static_cast<double>(ours[i]) * ours[i];
    bb += theirs[i] * theirs[i];
  }
  return dot / std::sqrt(aa * bb);
}

std::unique_ptr<backend::NativeBackend> load_encoder(const EncoderModelFile& file,
                                                     tensor::KernelChoice kernels) {
  backend::NativeConfig config;
  config.kernels = kernels;
  auto native = std::make_unique<backend::NativeBackend>(config);
  LoadOptions options;
  options.model_path = file.path().string();
  options.threads = 2;
  native->load(options);
  return native;
}

class EncoderEmbeddings : public ::testing::TestWithParam<EncoderFile> {};

TEST_P(EncoderEmbeddings, MatchLlamaEmbeddingForEveryInput) {
  const EncoderFile& file = GetParam();
  const EncoderModelFile model_file(file);
  EXPECT_EQ(model_file.sha256(), file.sha256)
      << "mkmodel no longer writes the file the references of tests/data/bert were made from";
  const auto inputs = bert_data_lines("inputs.txt");
  const auto theirs = bert_data_numbers(std::string(file.name) + ".embeddings.txt");
  ASSERT_EQ(inputs.size(), 4u);
  ASSERT_EQ(theirs.size(), inputs.size());
  // Every kernel set: bert's GELU is GGML's table in all of them (encoder_pass.cpp).
  for (const auto kernels : {tensor::KernelChoice::reference, tensor::KernelChoice::fast,
                             tensor::KernelChoice::rounded_activations}) {
    const auto native = load_encoder(model_file, kernels);
    const auto result = native->embed({.inputs = inputs, .normalize = false});
    ASSERT_EQ(result.vectors.size(), inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const double similarity = encoder_cosine(result.vectors[i], theirs[i]);
      std::printf("[ measured ] %s %s input %zu vs llama-embedding: cosine 1 - %.2e\n", file.name,
                  std::string(tensor::to_string(kernels)).c_str(), i, 1 - similarity);
      EXPECT_GE(similarity, kMinEncoderCosine) << "input " << i << ": " << inputs[i];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(MkmodelFiles, EncoderEmbeddings, ::testing::ValuesIn(kEncoderFiles),
                         [](const ::testing::TestParamInfo<EncoderFile>& info) {
                           std::string name = info.param.name;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

// Several inputs in one Engine::encode call (as the scheduler batches the inputs of a turn)
// share every weight product but attend only within themselves: mean-pooled, each is
// llama-embedding's vector for that input alone, and with the reference kernels each input's
// states are bit for bit those of encoding it alone.
TEST(EncoderEngine, InputsEncodedTogetherAttendOnlyWithinThemselves) {
  const auto tokens = bert_data_numbers("inputs.tokens.txt");
  std::vector<std::vector<int32_t>> inputs;
  for (const auto& line : tokens) inputs.emplace_back(line.begin(), line.end());
  ASSERT_EQ(inputs.size(), 4u);
  const std::vector<std::span<const int32_t>> spans(inputs.begin(), inputs.end());
  for (const auto& file : kEncoderFiles) {
    if (std::string(file.pooling) != "mean") continue;
    const auto theirs = bert_data_numbers(std::string(file.name) + ".embeddings.txt");
    const auto model =
        model::Model::from_file(gguf::GgufFile::from_buffer(generate_encoder_file(file), "e.gguf"));
    const auto d = static_cast<size_t>(model->config().n_embd);
    for (const auto kernels : {tensor::KernelChoice::reference, tensor::KernelChoice::fast,
                               tensor::KernelChoice::rounded_activations}) {
      runtime::Engine engine(model, {.threads = 2, .kernels = kernels});
      const auto together = engine.encode(spans);
      size_t first_row = 0;
      for (size_t i = 0; i < inputs.size(); ++i) {
        const auto alone = engine.encode(inputs[i]);
        ASSERT_GE(together.size(), (first_row + inputs[i].size()) * d);
        const std::span<const float> mine(together.data() + first_row * d, inputs[i].size() * d);
        if (kernels == tensor::KernelChoice::reference) {
          EXPECT_TRUE(std::equal(mine.begin(), mine.end(), alone.begin()))
              << file.name << " input " << i;
        }
        std::vector<float> mean(d, 0.0f);
        for (size_t row = 0; row < inputs[i].size(); ++row) {
          for (size_t c = 0; c < d; ++c)
            mean[c] += mine[row * d + c] / static_cast<float>(inputs[i].size());
        }
        const double similarity = encoder_cosine(mean, theirs[i]);
        std::printf("[ measured ] %s %s input %zu encoded with the others: cosine 1 - %.2e\n",
                    file.name, std::string(tensor::to_string(kernels)).c_str(), i, 1 - similarity);
        EXPECT_GE(similarity, kMinEncoderCosine) << file.name << " input " << i;
        first_row += inputs[i].size();
      }
      EXPECT_EQ(together.size(), first_row * d);
    }
  }
}

// More inputs than one scheduler turn's batch (512 rows) takes: the four sentences twelve
// times (about 700 rows) run over several turns, and every vector is still llama-embedding's
// for its sentence.
TEST(EncoderEmbeddingsOverSeveralTurns, EveryInputStillMatchesLlamaEmbedding) {
  const EncoderFile& file = kEncoderFiles[0];
  const EncoderModelFile model_file(file);
  const auto sentences = bert_data_lines("inputs.txt");
  const auto theirs = bert_data_numbers(std::string(file.name) + ".embeddings.txt");
  ASSERT_EQ(theirs.size(), sentences.size());
  std::vector<std::string> inputs;
  for (int copy = 0; copy < 12; ++copy)
    inputs.insert(inputs.end(), sentences.begin(), sentences.end());
  const auto native = load_encoder(model_file, tensor::KernelChoice::fast);
  const auto result = native->embed({.inputs = inputs, .normalize = false});
  ASSERT_EQ(result.vectors.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_GE(encoder_cosine(result.vectors[i], theirs[i % sentences.size()]), kMinEncoderCosine)
        << "input " << i;
  }
}

// The token ids llama-tokenize gives for the inputs ([CLS] … [SEP]) are what weft feeds.
TEST(EncoderTokens, WordPieceWithClsAndSepAsLlamaCpp) {
  const auto vocab =
      gguf::GgufFile::open(test::shared_path("models/vocab/ggml-vocab-bert-bge.gguf").string());
  const auto tokenizer = tokenizer::Tokenizer::from_gguf(*vocab);
  const auto inputs = bert_data_lines("inputs.txt");
  const auto expected = bert_data_numbers("inputs.tokens.txt");
  ASSERT_EQ(expected.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto ids = tokenizer->encode(inputs[i], {.add_bos = tokenizer->add_bos_by_default(),
                                                   .parse_special = false,
                                                   .add_eos = tokenizer->add_eos_by_default()});
    EXPECT_EQ(std::vector<double>(ids.begin(), ids.end()), expected[i]) << inputs[i];
  }
}

// An encoder has no next-token logits: generation fails with a message that says what to
// use instead, never with text.
TEST(EncoderGeneration, IsRefusedWithAPointerToEmbeddings) {
  const EncoderModelFile model_file(kEncoderFiles[0]);
  const auto native = load_encoder(model_file, tensor::KernelChoice::fast);
  GenerationRequest request;
  request.messages = {{Role::user, "hello"}};
  request.raw_prompt = true;
  auto stream = native->generate(request);
  const auto result = collect(stream);
  EXPECT_TRUE(result.text.empty());
  const auto* error = std::get_if<ErrorEvent>(&result.terminal);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::invalid_request);
  EXPECT_NE(error->message.find("bert is an embedding model: use weft embed / /v1/embeddings"),
            std::string::npos)
      << error->message;
}

// Engine::encode checks what it is given: an input longer than bert's position table, a token
// outside the vocabulary, no tokens; Engine::forward (every decoder path) refuses the model.
TEST(EncoderEngine, ChecksItsInputAndRefusesTheDecoderPass) {
  const auto bytes = generate_encoder_file(kEncoderFiles[0]);
  const auto model = model::Model::from_file(gguf::GgufFile::from_buffer(bytes, "bert.gguf"));
  ASSERT_TRUE(model->config().encoder);
  runtime::Engine engine(model);
  const auto message_of = [&](const std::vector<int32_t>& tokens) {
    try {
      engine.encode(tokens);
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::invalid_request);
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(engine.encode(std::vector<int32_t>{101, 7592, 102}).size(), 3u * 64u);
  EXPECT_NE(message_of(std::vector<int32_t>(65, 7592))
                .find("65 tokens, more than the context "
                      "length of 64"),
            std::string::npos);
  EXPECT_NE(message_of({101, 30522, 102}).find("token id 30522 is outside the vocabulary"),
            std::string::npos);
  EXPECT_NE(message_of({}).find("no tokens"), std::string::npos);
  auto sequence = engine.new_sequence();
  const runtime::ForwardRow row{&sequence, 101, 0, true};
  runtime::ForwardOutputs outputs;
  try {
    engine.forward(std::span<const runtime::ForwardRow>(&row, 1), outputs);
    ADD_FAILURE() << "the decoder pass ran an encoder";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("bert is an embedding model"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(sequence.length(), 0);
}

}  // namespace
}  // namespace weft
