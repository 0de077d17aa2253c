// The small encoder files of tests/data/bert/README.md, written by the `weft` binary.
#pragma once

#include <string>

#include "support/run_weft.hpp"
#include "support/shared_files.hpp"

namespace weft::test {

// `weft mkmodel --arch ARCH --tokenizer ggml-vocab-bert-bge.gguf --dim 64 --layers 2 --heads 4
// --ffn 128 --ctx 64 --type f32 --seed 11 --pooling POOLING PATH`: the file llama-embedding's
// references in tests/data/bert were made from.
inline WeftResult make_encoder_test_model(const std::string& arch, const std::string& pooling,
                                          const std::string& path) {
  return run_weft({"mkmodel",
                   "--arch",
                   arch,
                   "--tokenizer",
                   shared_path("models/vocab/ggml-vocab-bert-bge.gguf").string(),
                   "--dim",
                   "64",
                   "--layers",
                   "2",
                   "--heads",
                   "4",
                   "--ffn",
                   "128",
                   "--ctx",
                   "64",
                   "--type",
                   "f32",
                   "--seed",
                   "11",
                   "--pooling",
                   pooling,
                   path});
}

}  // namespace weft::test
