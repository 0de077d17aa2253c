// Writes small, valid GGUF seeds for the reader fuzzer from real files: every metadata key
// is kept (arrays cut to their first elements) and every tensor keeps its name and type but
// shrinks to one block of its original data. Small seeds keep the fuzzer fast while it still
// starts from the real files' structure.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "weft/error.hpp"

namespace {

using namespace weft::gguf;

constexpr size_t kArrayElements = 64;

Value shortened(Value value) {
  if (auto* array = std::get_if<ArrayValue>(&value.data)) {
    if (array->elements.size() > kArrayElements) array->elements.resize(kArrayElements);
  }
  return value;
}

void write_seed(const std::filesystem::path& input, const std::filesystem::path& output) {
  auto file = GgufFile::open(input.string());
  GgufWriter writer;
  for (const auto& entry : file->metadata()) writer.set(entry.key, shortened(entry.value));
  for (const auto& tensor : file->tensors()) {
    auto traits = weft::tensor::traits_of(tensor.type);
    writer.add_tensor(
        {tensor.name, tensor.type, {traits.block_size}, {tensor.data, traits.block_bytes}});
  }
  writer.write(output.string());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s OUT_DIR GGUF...\n", argv[0]);
    return 2;
  }
  std::filesystem::path out_dir = argv[1];
  std::filesystem::create_directories(out_dir);
  int written = 0;
  for (int i = 2; i < argc; ++i) {
    std::filesystem::path input = argv[i];
    auto name = input.parent_path().filename().string() + "_" + input.filename().string();
    try {
      write_seed(input, out_dir / name);
      ++written;
    } catch (const weft::Error& error) {
      std::printf("skipped %s: %s\n", input.c_str(), error.what());
    }
  }
  std::printf("wrote %d seeds to %s\n", written, out_dir.c_str());
  return written > 0 ? 0 : 1;
}
