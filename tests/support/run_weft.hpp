// Runs the built `weft` executable (WEFT_BINARY) and captures what it prints.
#pragma once

#include <string>
#include <vector>

namespace weft::test {

struct WeftResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Arguments are passed as they are (no shell).
WeftResult run_weft(const std::vector<std::string>& arguments);

}  // namespace weft::test
