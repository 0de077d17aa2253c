// libFuzzer target for the GGUF reader. Any input must either parse or throw weft::Error;
// what parses must survive every accessor, and writing it back must give a file that parses
// to the very same bytes again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "gguf/value_format.hpp"
#include "weft/error.hpp"

namespace {

using weft::gguf::GgufFile;

void read_every_accessor(const GgufFile& file) {
  for (const auto& entry : file.metadata()) {
    // Type mismatches are reported with weft::Error; anything else escapes and is a finding.
    try {
      (void)file.get_uint(entry.key);
    } catch (const weft::Error&) {
    }
    try {
      (void)file.get_string_array(entry.key);
    } catch (const weft::Error&) {
    }
    try {
      (void)file.get_float_array(entry.key);
    } catch (const weft::Error&) {
    }
    try {
      (void)file.get_int_array(entry.key);
    } catch (const weft::Error&) {
    }
    (void)weft::gguf::format_value(entry.value);
  }
}

// The first and last byte of every tensor: AddressSanitizer reports any view outside the copy.
unsigned touch_tensor_data(const GgufFile& file) {
  unsigned sum = 0;
  for (const auto& tensor : file.tensors()) {
    if (file.find_tensor(tensor.name) != &tensor) std::abort();
    sum += static_cast<unsigned>(tensor.data[0]) +
           static_cast<unsigned>(tensor.data[tensor.size_bytes - 1]);
  }
  return sum;
}

void check_round_trip(const GgufFile& file) {
  auto written = weft::gguf::GgufWriter::copy_of(file).to_bytes();
  auto reread = GgufFile::from_buffer(written, "rewritten");
  if (reread->tensors().size() != file.tensors().size() ||
      reread->metadata().size() != file.metadata().size()) {
    std::abort();
  }
  if (weft::gguf::GgufWriter::copy_of(*reread).to_bytes() != written) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::shared_ptr<const GgufFile> file;
  try {
    file = GgufFile::from_buffer(std::span(reinterpret_cast<const std::byte*>(data), size), "fuzz");
  } catch (const weft::Error&) {
    return 0;
  }
  read_every_accessor(*file);
  volatile unsigned sink = touch_tensor_data(*file);
  (void)sink;
  check_round_trip(*file);
  return 0;
}
