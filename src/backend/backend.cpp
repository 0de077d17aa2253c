#include "weft/backend.hpp"

#include "weft/error.hpp"

namespace weft {

EmbeddingResult Backend::embed(const EmbeddingRequest&) {
  throw Error(ErrorCode::invalid_request, "the " + name() + " backend does not compute embeddings");
}

}  // namespace weft
