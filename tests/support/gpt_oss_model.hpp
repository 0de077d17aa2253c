// The small gpt-oss file of tests/data/gpt-oss/README.md, as `weft mkmodel` writes it: the
// model the llama.cpp references (and llama-quantize's MXFP4_MOE file) were made from.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace weft::test {

// `weft mkmodel --arch gpt-oss --dim 256 --layers 2 --heads 4 --kv-heads 2 --ffn 512
// --vocab 512 --ctx 256 --window 16 --experts 4 --experts-used 2 --expert-ffn 128 --seed 42
// --type TYPE`, in memory.
std::vector<std::byte> gpt_oss_test_model(const std::string& type);

}  // namespace weft::test
