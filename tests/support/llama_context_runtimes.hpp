// The setting of the context tests that compare a context with recomputation: two runtimes on
// the llama F32 fixture (one with a prefix cache, one without, on the same kernels) and the
// fixture's long reference token sequence. Tests derive from their gtest fixture and this.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "support/pool_accounting.hpp"
#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"
#include "weft/context.hpp"

namespace weft::test {

class LlamaContextRuntimes {
 protected:
  static ContextRuntimeOptions llama_options(bool reference_kernels, bool prefix_cache) {
    return {.model_path = shared_path("fixtures/llama/llama-f32.gguf").string(),
            .threads = 2,
            .kv_pages = 48,
            .kv_f32 = true,
            .reference_kernels = reference_kernels,
            .prefix_cache = prefix_cache};
  }

  void open_runtimes(bool reference_kernels) {
    runtime_ = ContextRuntime::open(llama_options(reference_kernels, true));
    recompute_ = ContextRuntime::open(llama_options(reference_kernels, false));
    tokens_ = read_token_ids(shared_path("fixtures/llama/reference/llama-f32.long.tokens.txt"));
  }

  // Every test ends with nothing held: snapshots removed, the prefix cache cleared, no page
  // in use in either runtime.
  void expect_runtimes_idle() {
    for (const auto& name : runtime_->snapshots()) runtime_->remove_snapshot(name);
    runtime_->clear_prefix_cache();
    for (const auto* runtime : {runtime_.get(), recompute_.get()}) expect_pool_idle(*runtime);
  }

  std::vector<int32_t> slice(size_t begin, size_t end) const {
    return {tokens_.begin() + static_cast<ptrdiff_t>(begin),
            tokens_.begin() + static_cast<ptrdiff_t>(end)};
  }

  std::shared_ptr<ContextRuntime> runtime_;
  std::shared_ptr<ContextRuntime> recompute_;
  std::vector<int32_t> tokens_;
};

}  // namespace weft::test
