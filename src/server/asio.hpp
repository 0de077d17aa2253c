// Asio for the daemon. A standard header comes first so that Asio's feature detection
// (std::aligned_alloc, read from libstdc++'s configuration) is the same in every file;
// otherwise files disagree on how handler memory is freed (an ODR violation that ASan
// reports as alloc-dealloc-mismatch).
#pragma once

// clang-format off
#include <cstddef>
#include <asio.hpp>
// clang-format on
