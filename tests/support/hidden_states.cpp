#include "support/hidden_states.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "gguf/gguf_file.hpp"
#include "model/model.hpp"
#include "runtime/engine.hpp"
#include "tensor/quant_formats.hpp"

namespace weft::test {
namespace {

// The output matrix's rows as float, read from the file (n_vocab × width).
std::vector<float> output_matrix(const gguf::GgufFile& file, int64_t width, int64_t& n_vocab) {
  const auto* tensor = file.find_tensor("output.weight");
  if (tensor == nullptr) tensor = file.find_tensor("token_embd.weight");
  if (tensor == nullptr || tensor->shape.size() != 2 ||
      tensor->shape[0] != static_cast<uint64_t>(width)) {
    ADD_FAILURE() << file.path() << ": no output matrix of row length " << width;
    return {};
  }
  n_vocab = static_cast<int64_t>(tensor->shape[1]);
  std::vector<float> matrix(static_cast<size_t>(n_vocab * width));
  if (tensor->type == tensor::ElementType::F32) {
    std::memcpy(matrix.data(), tensor->data, matrix.size() * sizeof(float));
    return matrix;
  }
  const uint64_t row_bytes = tensor->size_bytes / tensor->shape[1];
  for (int64_t row = 0; row < n_vocab; ++row) {
    tensor::dequantize_row(tensor->type, tensor->data + static_cast<uint64_t>(row) * row_bytes,
                           matrix.data() + row * width, width);
  }
  return matrix;
}

}  // namespace

HiddenRows fixture_hidden_rows(const FixtureModel& fixture, tensor::KernelChoice kernels) {
  auto model =
      model::Model::load(fixture.gguf.string(), {.context_length = fixture.context_length()});
  runtime::EngineOptions options;
  options.threads = 2;
  options.kernels = kernels;
  options.kv_type = tensor::ElementType::F32;
  runtime::Engine engine(model, options);
  auto sequence = engine.new_sequence();
  const auto prompt = read_token_ids(fixture.reference("tokens.txt"));
  std::vector<runtime::ForwardRow> rows;
  for (size_t i = 0; i < prompt.size(); ++i) {
    runtime::ForwardRow row{&sequence, prompt[i], static_cast<int64_t>(i)};
    row.want_hidden = true;
    rows.push_back(row);
  }
  runtime::ForwardOutputs outputs;
  engine.forward(rows, outputs);
  EXPECT_TRUE(outputs.logit_rows.empty());
  EXPECT_TRUE(outputs.logits.empty());
  EXPECT_EQ(outputs.hidden_rows.size(), prompt.size());
  HiddenRows hidden;
  hidden.n_rows = static_cast<int64_t>(outputs.hidden_rows.size());
  hidden.width = outputs.n_embd;
  hidden.values = outputs.hidden;
  return hidden;
}

std::vector<double> float64_logits(const std::filesystem::path& gguf, const HiddenRows& hidden) {
  const auto file = gguf::GgufFile::open(gguf.string());
  int64_t n_vocab = 0;
  const auto matrix = output_matrix(*file, hidden.width, n_vocab);
  if (matrix.empty()) return {};
  const auto architecture = file->get_string("general.architecture").value_or("");
  const double cap = file->get_float(architecture + ".final_logit_softcapping").value_or(0.0);
  std::vector<double> logits(static_cast<size_t>(hidden.n_rows * n_vocab));
  for (int64_t r = 0; r < hidden.n_rows; ++r) {
    const auto x = hidden.row(r);
    for (int64_t t = 0; t < n_vocab; ++t) {
      const float* w = matrix.data() + t * hidden.width;
      double sum = 0;
      for (int64_t c = 0; c < hidden.width; ++c) {
        sum += static_cast<double>(w[c]) * static_cast<double>(x[static_cast<size_t>(c)]);
      }
      if (cap > 0) sum = cap * std::tanh(sum / cap);
      logits[static_cast<size_t>(r * n_vocab + t)] = sum;
    }
  }
  return logits;
}

std::vector<double> float64_mean(const HiddenRows& hidden) {
  std::vector<double> mean(static_cast<size_t>(hidden.width), 0.0);
  for (int64_t r = 0; r < hidden.n_rows; ++r) {
    const auto x = hidden.row(r);
    for (size_t c = 0; c < mean.size(); ++c) mean[c] += x[c];
  }
  for (double& value : mean) value /= static_cast<double>(hidden.n_rows);
  return mean;
}

}  // namespace weft::test
