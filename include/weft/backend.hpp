// The backend interface (DESIGN §3): something that loads a model and streams generations.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "weft/export.hpp"
#include "weft/generation.hpp"
#include "weft/types.hpp"

namespace weft {

struct WEFT_EXPORT Availability {
  bool available = false;
  std::string reason;  // why not, when unavailable
};

class WEFT_EXPORT Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;
  // Whether this backend can serve now, with a reason when it cannot.
  virtual Availability available() const = 0;

  // Prepares the model; throws weft::Error on failure. Remote backends check the name.
  virtual void load(const LoadOptions& options) = 0;
  virtual void unload() {}
  virtual ModelInfo model_info() const = 0;
  // Models this backend can serve (remote backends list the server's).
  virtual std::vector<std::string> list_models() { return {}; }

  // Starts a generation. Never throws for a bad request: errors arrive as an ErrorEvent.
  virtual GenerationStream generate(const GenerationRequest& request) = 0;

  // Pooled final hidden states of each input (docs/embeddings.md). Throws weft::Error: a bad
  // request, or invalid_request naming the backend when it computes no embeddings.
  virtual EmbeddingResult embed(const EmbeddingRequest& request);
};

}  // namespace weft
