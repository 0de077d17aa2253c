// The check every test that uses KV pages ends with: nothing is held by anyone any more (no
// page in use, no reference by a sequence, a snapshot or the prefix cache).
#pragma once

#include <gtest/gtest.h>

#include "kv/page_pool.hpp"
#include "weft/context.hpp"

namespace weft::test {

inline void expect_pool_idle(const kv::PagePool& pool) {
  const auto usage = pool.usage();
  EXPECT_TRUE(usage.idle()) << "pages in use " << usage.pages_in_use << ", sequences "
                            << usage.sequence_references << ", snapshots "
                            << usage.snapshot_references << ", prefix cache "
                            << usage.prefix_cache_references;
}

inline void expect_pool_idle(const ContextRuntime& runtime) {
  const auto usage = runtime.usage();
  EXPECT_TRUE(usage.pages_in_use == 0 && usage.context_references == 0 &&
              usage.snapshot_references == 0 && usage.prefix_cache_references == 0)
      << "pages in use " << usage.pages_in_use << ", contexts " << usage.context_references
      << ", snapshots " << usage.snapshot_references << ", prefix cache "
      << usage.prefix_cache_references;
}

}  // namespace weft::test
