#include "gguf/ggml_type_names.hpp"

#include <array>

namespace weft::gguf {
namespace {

// Indexed by id, from ggml.h's enum ggml_type and the type_name of ggml.c's type traits.
// Ids 4-5 (Q4_2, Q4_3), 31-33 (Q4_0 interleaved) and 36-38 (IQ4_NL interleaved) were
// defined once and have since been retired from GGUF files; the newest are 39-41.
constexpr std::array<std::string_view, 42> kNames = {
    "f32",   "f16",        "q4_0",       "q4_1",       "q4_2",     "q4_3",     "q5_0",
    "q5_1",  "q8_0",       "q8_1",       "q2_K",       "q3_K",     "q4_K",     "q5_K",
    "q6_K",  "q8_K",       "iq2_xxs",    "iq2_xs",     "iq3_xxs",  "iq1_s",    "iq4_nl",
    "iq3_s", "iq2_s",      "iq4_xs",     "i8",         "i16",      "i32",      "i64",
    "f64",   "iq1_m",      "bf16",       "q4_0_4x4",   "q4_0_4x8", "q4_0_8x8", "tq1_0",
    "tq2_0", "iq4_nl_4x4", "iq4_nl_4x8", "iq4_nl_8x8", "mxfp4",    "nvfp4",    "q1_0",
};

}  // namespace

std::optional<std::string_view> ggml_type_name(uint32_t id) {
  if (id >= kNames.size()) return std::nullopt;
  return kNames[id];
}

}  // namespace weft::gguf
