// Repacks the weights whose fast products read another layout (Q4_0, Q8_0, Q4_K, Q6_K on x86:
// packed_weights.hpp, packing_pays_off) once at load. The matrices keep their view of the file for
// the kernels that read it as stored; the file pages of a packed matrix leave the resident set, so
// memory stays about the file size.
#pragma once

#include "gguf/gguf_file.hpp"
#include "model/model_config.hpp"
#include "model/model_weights.hpp"

namespace weft::model {

// Packs what this CPU has packed products for; returns the number of matrices packed.
// `progress` (may be empty) hears "packing weights" with the rows packed of the rows to pack.
// Each matrix is split between `threads` threads (0: the hardware concurrency); the packed
// bytes are the same for any count.
int pack_weights_for_this_cpu(const gguf::GgufFile& file, ModelWeights& weights,
                              const LoadProgressCallback& progress = {}, unsigned threads = 0);

}  // namespace weft::model
