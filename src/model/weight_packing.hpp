// Repacks the weights whose fast products read another layout (Q4_0, Q8_0, Q4_K, Q6_K on x86:
// packed_weights.hpp, packed_products_available) once at load. The matrices keep their view of the
// file for the kernels that read it as stored; the file pages of a packed matrix leave the resident
// set, so memory stays about the file size. With a cache directory, the packed copy is written to a
// file once and mapped from it at later loads.
#pragma once

#include <filesystem>

#include "gguf/gguf_file.hpp"
#include "model/model_config.hpp"
#include "model/model_weights.hpp"

namespace weft::model {

struct PackingOptions {
  // Hears "packing weights" with the rows packed of the rows to pack, and the cache's steps.
  LoadProgressCallback progress{};
  // Each matrix is split between this many threads (0: the hardware concurrency); the packed
  // bytes are the same for any count.
  unsigned threads = 0;
  // Where packed weights are kept between loads (packed_weight_cache.hpp); empty: nowhere.
  std::filesystem::path cache_directory{};
  // Models whose packed weights are smaller than this are packed at each load, uncached.
  uint64_t cache_min_bytes = 0;
};

// Packs what this CPU has packed products for, or maps the packed copy a cache file holds;
// returns the number of matrices packed.
int pack_weights_for_this_cpu(const gguf::GgufFile& file, ModelWeights& weights,
                              const PackingOptions& options);

}  // namespace weft::model
