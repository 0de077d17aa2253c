#include "model/model.hpp"

#include "gguf/gguf_file.hpp"
#include "model/weight_packing.hpp"

namespace weft::model {

Model::Model(std::shared_ptr<const gguf::GgufFile> file, ModelConfig config, ModelWeights weights)
    : file_(std::move(file)), config_(std::move(config)), weights_(std::move(weights)) {}

std::shared_ptr<const Model> Model::load(const std::string& path, const ModelLoadOptions& options) {
  if (options.progress) options.progress({"mapping the file"});
  return from_file(gguf::GgufFile::open(path), options);
}

std::shared_ptr<const Model> Model::from_file(std::shared_ptr<const gguf::GgufFile> file,
                                              const ModelLoadOptions& options) {
  if (options.progress) options.progress({"reading the weights"});
  ModelConfig config = read_model_config(*file, options);
  ModelWeights weights = bind_model_weights(*file, config);
  if (options.pack_weights)
    pack_weights_for_this_cpu(*file, weights,
                              {.progress = options.progress,
                               .threads = options.packing_threads,
                               .cache_directory = options.packed_cache_directory,
                               .cache_min_bytes = options.packed_cache_min_bytes});
  return std::shared_ptr<const Model>(
      new Model(std::move(file), std::move(config), std::move(weights)));
}

}  // namespace weft::model
