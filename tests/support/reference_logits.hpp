// Reading the reference outputs in ../shared/fixtures (README sections 4–6) and comparing
// logits with them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <span>
#include <string>
#include <vector>

namespace weft::test {

// Raw little-endian float32 values.
std::vector<float> read_f32_file(const std::filesystem::path& path);
// Decimal ids separated by whitespace.
std::vector<int32_t> read_token_ids(const std::filesystem::path& path);

struct LogitDifference {
  double max_abs = 0;
  double mean_abs = 0;
  size_t worst_index = 0;
};
LogitDifference compare_logits(std::span<const float> actual, std::span<const float> expected);

// Row by row (`width` logits each): how many rows lie within `close` of the reference, and the
// largest difference of any row. For mixtures of experts, whose rows are either close or,
// where a near-tie routes a token to another expert, visibly apart.
struct RowAgreement {
  int close_rows = 0;
  double max_abs = 0;
};
RowAgreement compare_logit_rows(std::span<const float> actual, std::span<const float> expected,
                                size_t width, double close);

// One fixture model file and where its references are.
struct FixtureModel {
  std::string arch;     // folder: llama, qwen2, …
  std::string variant;  // f32, q4_k_m, q6_k-fallback, …
  std::filesystem::path gguf;
  std::filesystem::path reference(const std::string& kind) const;  // kind: "exact.logits.f32", …
  std::string name() const { return arch + "-" + variant; }
  bool is_float32() const { return variant == "f32"; }
  int64_t context_length() const { return arch == "stories260K" ? 512 : 256; }
};

// For gtest messages.
inline void PrintTo(const FixtureModel& fixture, std::ostream* out) {
  *out << fixture.name();
}

// Every model under ../shared/fixtures, sorted by name.
std::vector<FixtureModel> fixture_models();
// Only the F32 files (the ones with 200-token references and llama.cpp decode logits).
std::vector<FixtureModel> float32_fixture_models();

}  // namespace weft::test
