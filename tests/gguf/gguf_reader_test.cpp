// The reader against independent references: the original llama2.c checkpoint and tokenizer
// of stories260K, the fixtures' SUMMARY.tsv, and every GGUF file in ../shared.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "gguf/gguf_file.hpp"
#include "support/shared_files.hpp"
#include "weft/error.hpp"

namespace weft::gguf {
namespace {

using test::read_file_bytes;
using test::shared_path;

// The llama2.c checkpoint: seven int32 hyperparameters, then the float32 weights in order.
struct Llama2cCheckpoint {
  int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
  std::vector<std::byte> bytes;
  size_t cursor = 7 * sizeof(int32_t);

  std::span<const std::byte> next(size_t floats) {
    std::span<const std::byte> span(bytes.data() + cursor, floats * sizeof(float));
    cursor += floats * sizeof(float);
    return span;
  }
};

Llama2cCheckpoint load_checkpoint() {
  Llama2cCheckpoint checkpoint{};
  checkpoint.bytes = read_file_bytes(shared_path("models/stories260K/stories260K.bin"));
  std::memcpy(&checkpoint.dim, checkpoint.bytes.data(), 7 * sizeof(int32_t));
  return checkpoint;
}

std::span<const std::byte> bytes_of(const TensorView& tensor) {
  return {tensor.data, tensor.size_bytes};
}

bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

// The converter permutes the rows of wq/wk for rope, so compare them as sets of rows.
std::vector<std::string> sorted_rows(std::span<const std::byte> bytes, size_t row_bytes) {
  std::vector<std::string> rows;
  for (size_t at = 0; at < bytes.size(); at += row_bytes) {
    rows.emplace_back(reinterpret_cast<const char*>(bytes.data() + at), row_bytes);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::string with_spaces(const std::string& piece) {
  static const std::string kSpaceMarker = "\xe2\x96\x81";  // U+2581
  std::string result;
  for (size_t at = 0; at < piece.size();) {
    if (piece.compare(at, kSpaceMarker.size(), kSpaceMarker) == 0) {
      result += ' ';
      at += kSpaceMarker.size();
    } else {
      result += piece[at++];
    }
  }
  return result;
}

const TensorView& tensor_named(const GgufFile& file, const std::string& name) {
  const TensorView* found = file.find_tensor(name);
  if (found == nullptr) throw std::runtime_error("missing tensor " + name);
  return *found;
}

TEST(GgufReader, Stories260KMatchesTheLlama2cCheckpoint) {
  auto file = GgufFile::open(shared_path("models/stories260K/stories260K-f32.gguf"));
  auto checkpoint = load_checkpoint();
  EXPECT_EQ(file->version(), 3u);
  EXPECT_EQ(file->get_string("general.architecture"), "llama");
  EXPECT_EQ(file->get_uint("llama.embedding_length"), uint64_t(checkpoint.dim));
  EXPECT_EQ(file->get_uint("llama.feed_forward_length"), uint64_t(checkpoint.hidden_dim));
  EXPECT_EQ(file->get_uint("llama.block_count"), uint64_t(checkpoint.n_layers));
  EXPECT_EQ(file->get_uint("llama.attention.head_count"), uint64_t(checkpoint.n_heads));
  EXPECT_EQ(file->get_uint("llama.attention.head_count_kv"), uint64_t(checkpoint.n_kv_heads));

  const size_t dim = checkpoint.dim, hidden = checkpoint.hidden_dim, layers = checkpoint.n_layers;
  const size_t kv_dim = dim * checkpoint.n_kv_heads / checkpoint.n_heads;
  auto per_layer = [&](size_t floats_each, const std::string& suffix, bool as_row_set) {
    auto all = checkpoint.next(floats_each * layers);
    for (size_t layer = 0; layer < layers; ++layer) {
      auto expected = all.subspan(layer * floats_each * sizeof(float), floats_each * sizeof(float));
      const auto& view = tensor_named(*file, "blk." + std::to_string(layer) + "." + suffix);
      SCOPED_TRACE(view.name);
      ASSERT_EQ(view.type, tensor::ElementType::F32);
      ASSERT_EQ(view.element_count(), floats_each);
      if (as_row_set) {
        size_t row_bytes = view.shape[0] * sizeof(float);
        EXPECT_EQ(sorted_rows(bytes_of(view), row_bytes), sorted_rows(expected, row_bytes));
      } else {
        EXPECT_TRUE(same_bytes(bytes_of(view), expected));
      }
    }
  };
  EXPECT_TRUE(same_bytes(bytes_of(tensor_named(*file, "token_embd.weight")),
                         checkpoint.next(size_t(checkpoint.vocab_size) * dim)));
  per_layer(dim, "attn_norm.weight", false);
  per_layer(dim * dim, "attn_q.weight", true);
  per_layer(dim * kv_dim, "attn_k.weight", true);
  per_layer(dim * kv_dim, "attn_v.weight", false);
  per_layer(dim * dim, "attn_output.weight", false);
  per_layer(dim, "ffn_norm.weight", false);
  per_layer(dim * hidden, "ffn_gate.weight", false);
  per_layer(hidden * dim, "ffn_down.weight", false);
  per_layer(dim * hidden, "ffn_up.weight", false);
  EXPECT_TRUE(
      same_bytes(bytes_of(tensor_named(*file, "output_norm.weight")), checkpoint.next(dim)));
  EXPECT_EQ(tensor_named(*file, "blk.0.ffn_down.weight").shape,
            (std::vector<uint64_t>{hidden, dim}));
}

TEST(GgufReader, Stories260KVocabularyMatchesTok512) {
  auto file = GgufFile::open(shared_path("models/stories260K/stories260K-f32.gguf"));
  auto tokens = file->get_string_array("tokenizer.ggml.tokens");
  auto scores = file->get_float_array("tokenizer.ggml.scores");
  ASSERT_TRUE(tokens && scores);

  // tok512.bin: int32 max length, then per token a float32 score, an int32 length and bytes;
  // llama2.c's exporter writes "▁" as a space and wraps BOS/EOS in newlines.
  auto bytes = read_file_bytes(shared_path("models/stories260K/tok512.bin"));
  size_t at = sizeof(int32_t);
  size_t compared = 0;
  for (size_t id = 0; id < tokens->size(); ++id) {
    float score;
    int32_t length;
    ASSERT_LE(at + 8, bytes.size());
    std::memcpy(&score, bytes.data() + at, 4);
    std::memcpy(&length, bytes.data() + at + 4, 4);
    std::string piece(reinterpret_cast<const char*>(bytes.data() + at + 8), length);
    at += 8 + length;
    EXPECT_EQ((*scores)[id], score) << "token " << id;
    std::string expected = with_spaces((*tokens)[id]);
    if (expected == "<s>" || expected == "</s>") expected = "\n" + expected + "\n";
    EXPECT_EQ(expected, piece) << "token " << id;
    ++compared;
  }
  EXPECT_EQ(at, bytes.size());
  EXPECT_EQ(compared, 512u);
}

// SUMMARY.tsv lists, per fixture, how many tensors each element type has.
TEST(GgufReader, FixtureTensorTypesMatchSummary) {
  std::ifstream summary(shared_path("fixtures/SUMMARY.tsv"));
  std::string line;
  std::getline(summary, line);  // header
  size_t files = 0;
  while (std::getline(summary, line)) {
    std::istringstream fields(line);
    std::string arch, variant, types;
    std::getline(fields, arch, '\t');
    std::getline(fields, variant, '\t');
    std::getline(fields, types, '\t');
    SCOPED_TRACE(variant);
    auto file = GgufFile::open(shared_path("fixtures/" + arch + "/" + variant + ".gguf"));
    std::map<tensor::ElementType, int> expected, actual;
    std::istringstream entries(types);
    for (std::string entry; std::getline(entries, entry, ',');) {
      auto colon = entry.find(':');
      auto type = tensor::parse_element_type(entry.substr(0, colon));
      ASSERT_TRUE(type) << entry;
      expected[*type] = std::stoi(entry.substr(colon + 1));
    }
    for (const auto& view : file->tensors()) ++actual[view.type];
    EXPECT_EQ(actual, expected);
    ++files;
  }
  EXPECT_GE(files, 20u);
}

TEST(GgufReader, EverySharedFileLoads) {
  auto files = test::shared_gguf_files();
  ASSERT_GE(files.size(), 40u);
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    auto file = GgufFile::open(path);
    EXPECT_EQ(file->file_size(), std::filesystem::file_size(path));
    EXPECT_FALSE(file->metadata().empty());
    for (const auto& view : file->tensors()) {
      EXPECT_EQ(file->find_tensor(view.name), &view);
      EXPECT_EQ(view.offset % file->alignment(), 0u);
    }
  }
  std::printf("loaded %zu GGUF files from ../shared\n", files.size());
}

TEST(GgufReader, RejectsDuplicateKeyInDbrxVocab) {
  try {
    GgufFile::open(shared_path("models/vocab-invalid/ggml-vocab-dbrx.gguf"));
    FAIL() << "the file stores general.file_type twice and must be rejected";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("duplicate metadata key 'general.file_type'"),
              std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("byte offset"), std::string::npos);
  }
}

TEST(GgufReader, FromBufferMatchesOpen) {
  auto path = shared_path("models/stories260K/stories260K-q4_k_m-fallback.gguf");
  auto mapped = GgufFile::open(path);
  auto buffered = GgufFile::from_buffer(read_file_bytes(path), "copy");
  ASSERT_EQ(mapped->tensors().size(), buffered->tensors().size());
  for (size_t i = 0; i < mapped->tensors().size(); ++i) {
    const auto& a = mapped->tensors()[i];
    const auto& b = buffered->tensors()[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_TRUE(same_bytes(bytes_of(a), bytes_of(b)));
  }
}

// One line of /proc/self/maps: an address range mapped from `path` at file offset `offset`.
struct FileMapping {
  uintptr_t start = 0, end = 0;
  uint64_t offset = 0;
  std::string path;
};

std::vector<FileMapping> mappings_of(const std::filesystem::path& file) {
  const std::string wanted = std::filesystem::canonical(file).string();
  std::vector<FileMapping> found;
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    // "start-end perms offset dev inode path"
    std::istringstream fields(line);
    std::string range, perms, offset, device, inode, path;
    fields >> range >> perms >> offset >> device >> inode;
    std::getline(fields >> std::ws, path);
    if (path != wanted) continue;
    FileMapping mapping;
    mapping.start = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    mapping.end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    mapping.offset = std::stoull(offset, nullptr, 16);
    found.push_back(mapping);
  }
  return found;
}

// Opening maps the file and hands out views: every tensor's data lies in a mapping of the
// file itself (per the kernel's /proc/self/maps) at exactly its file offset, so nothing was
// copied, and pointer differences between tensors equal their offset differences.
TEST(GgufReader, OpeningIsZeroCopy) {
  const auto path = shared_path("models/stories260K/stories260K-f32.gguf");
  auto file = GgufFile::open(path.string());
  const auto& tensors = file->tensors();
  ASSERT_GT(tensors.size(), 1u);
  const auto mappings = mappings_of(path);
  ASSERT_FALSE(mappings.empty()) << "no mapping of " << path << " in /proc/self/maps";
  const TensorView& first = tensors.front();
  for (const auto& tensor : tensors) {
    EXPECT_EQ(tensor.data - first.data, static_cast<std::ptrdiff_t>(tensor.offset) -
                                            static_cast<std::ptrdiff_t>(first.offset))
        << tensor.name;
    const auto begin = reinterpret_cast<uintptr_t>(tensor.data);
    auto inside = std::find_if(mappings.begin(), mappings.end(), [&](const FileMapping& m) {
      return begin >= m.start && begin + tensor.size_bytes <= m.end;
    });
    ASSERT_NE(inside, mappings.end()) << tensor.name << " is not inside a mapping of the file";
    EXPECT_EQ(begin - inside->start + inside->offset, file->data_offset() + tensor.offset)
        << tensor.name;
  }
}

}  // namespace
}  // namespace weft::gguf
