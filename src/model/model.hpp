// A loaded model: the memory-mapped GGUF file, its hyperparameters and its weights bound by
// role. Immutable after loading, so any number of contexts and threads may share it.
#pragma once

#include <memory>
#include <string>

#include "model/model_config.hpp"
#include "model/model_weights.hpp"

namespace weft::gguf {
class GgufFile;
}

namespace weft::model {

class Model {
 public:
  // Throws weft::Error for an unreadable file, an unsupported architecture, or a missing or
  // mis-shaped tensor (the message names it).
  static std::shared_ptr<const Model> load(const std::string& path,
                                           const ModelLoadOptions& options = {});
  static std::shared_ptr<const Model> from_file(std::shared_ptr<const gguf::GgufFile> file,
                                                const ModelLoadOptions& options = {});

  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const gguf::GgufFile& file() const { return *file_; }
  const std::shared_ptr<const gguf::GgufFile>& file_handle() const { return file_; }

 private:
  Model(std::shared_ptr<const gguf::GgufFile> file, ModelConfig config, ModelWeights weights);

  std::shared_ptr<const gguf::GgufFile> file_;
  ModelConfig config_;
  ModelWeights weights_;
};

}  // namespace weft::model
