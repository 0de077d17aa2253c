#include "model/quantize/model_quantizer.hpp"

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "gguf/gguf_writer.hpp"
#include "tensor/quant_formats.hpp"
#include "tensor/threads/thread_pool.hpp"
#include "weft/error.hpp"

namespace weft::model::quantize {
namespace {

using tensor::ElementType;

constexpr uint32_t kQuantizationVersion = 2;  // GGML_QNT_VERSION

std::string type_name(ElementType type) {
  return std::string(tensor::traits_of(type).name);
}

int32_t layer_count(const gguf::GgufFile& file) {
  const auto architecture = file.get_string("general.architecture");
  if (architecture) {
    if (const auto count = file.get_uint(*architecture + ".block_count"))
      return static_cast<int32_t>(*count);
  }
  // Without the key, the layers the tensor names mention.
  std::set<int> layers;
  for (const auto& tensor : file.tensors()) {
    int layer = -1;
    if (std::sscanf(tensor.name.c_str(), "blk.%d.", &layer) == 1) layers.insert(layer);
  }
  return static_cast<int32_t>(layers.size());
}

// Converts `rows` rows of `view` from its type to the planned one, split over the pool.
std::vector<std::byte> convert_tensor(const gguf::TensorView& view, ElementType to,
                                      tensor::ThreadPool& pool) {
  const uint64_t row_length = view.shape[0];
  const auto rows = static_cast<int64_t>(view.rows());
  const auto bytes_in = tensor::bytes_for(view.type, row_length);
  const auto bytes_out = tensor::bytes_for(to, row_length);
  if (!bytes_in || !bytes_out) {
    throw Error("tensor '" + view.name + "': row length " + std::to_string(row_length) +
                " is not a whole number of " + type_name(to) + " blocks");
  }
  std::vector<std::byte> result(static_cast<size_t>(*bytes_out) * static_cast<size_t>(rows));
  std::vector<std::vector<float>> scratch(pool.size(), std::vector<float>(row_length));
  pool.parallel_for(rows, [&](int64_t begin, int64_t end, unsigned worker) {
    float* values = scratch[worker].data();
    for (int64_t row = begin; row < end; ++row) {
      tensor::dequantize_row(view.type, view.data + static_cast<uint64_t>(row) * *bytes_in, values,
                             static_cast<int64_t>(row_length));
      tensor::quantize_row(to, values, result.data() + static_cast<uint64_t>(row) * *bytes_out,
                           static_cast<int64_t>(row_length));
    }
  });
  return result;
}

void check_requantize(const PlannedType& planned, bool allowed) {
  if (planned.from == planned.to || !is_quantised(planned.from) || allowed) return;
  throw Error("tensor '" + planned.name + "' is already " + type_name(planned.from) +
              "; quantising it again to " + type_name(planned.to) +
              " loses more precision: pass --allow-requantize to do it anyway");
}

}  // namespace

ModelFacts model_facts(const gguf::GgufFile& file) {
  ModelFacts facts;
  facts.layers = layer_count(file);
  if (const auto architecture = file.get_string("general.architecture")) {
    const auto heads = file.get_uint(*architecture + ".attention.head_count");
    const auto kv_heads = file.get_uint(*architecture + ".attention.head_count_kv");
    if (heads && kv_heads && *kv_heads > 0)
      facts.heads_per_kv_head = static_cast<uint32_t>(*heads / *kv_heads);
    if (const auto experts = file.get_uint(*architecture + ".expert_count"))
      facts.experts = static_cast<uint32_t>(*experts);
  }
  return facts;
}

std::vector<PlannedType> plan_file_types(const gguf::GgufFile& file, const FileType& file_type,
                                         bool pure) {
  std::vector<TensorDescription> tensors;
  for (const auto& tensor : file.tensors())
    tensors.push_back({tensor.name, tensor.type, tensor.shape});
  return plan_types(std::move(tensors), file_type, pure, model_facts(file));
}

QuantizeSummary quantize_model(const gguf::GgufFile& input, const std::string& output,
                               const QuantizeOptions& options) {
  const auto plan = plan_file_types(input, options.file_type, options.pure);
  for (const auto& planned : plan) check_requantize(planned, options.allow_requantize);
  std::unordered_map<std::string, const gguf::TensorView*> views;
  for (const auto& tensor : input.tensors()) views[tensor.name] = &tensor;

  gguf::GgufWriter writer;
  for (const auto& entry : input.metadata()) writer.set(entry.key, entry.value);
  // Set as llama-quantize sets them: removed, then added after the copied keys.
  writer.remove("general.quantization_version");
  writer.set_uint32("general.quantization_version", kQuantizationVersion);
  writer.remove("general.file_type");
  writer.set_uint32("general.file_type", options.file_type.id);

  tensor::ThreadPool pool(options.threads);
  std::vector<std::vector<std::byte>> converted;
  converted.reserve(plan.size());
  QuantizeSummary summary;
  for (size_t i = 0; i < plan.size(); ++i) {
    const auto started = std::chrono::steady_clock::now();
    const gguf::TensorView& view = *views.at(plan[i].name);
    std::span<const std::byte> data(view.data, view.size_bytes);
    if (plan[i].to != view.type) {
      converted.push_back(convert_tensor(view, plan[i].to, pool));
      data = converted.back();
    }
    writer.add_tensor({view.name, plan[i].to, view.shape, data});
    summary.bytes_before += view.size_bytes;
    summary.bytes_after += data.size();
    if (options.on_tensor) {
      options.on_tensor(
          {i + 1, plan.size(), &plan[i], view.shape, view.size_bytes, data.size(),
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()});
    }
  }
  summary.tensors = plan.size();
  writer.write(output);
  return summary;
}

}  // namespace weft::model::quantize
