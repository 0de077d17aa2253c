// Runs the built `weft` executable with text on its stdin and extra environment variables.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "support/run_weft.hpp"

namespace weft::test {

WeftResult run_weft_with_input(
    const std::vector<std::string>& arguments, const std::string& input,
    const std::vector<std::pair<std::string, std::string>>& environment = {});

}  // namespace weft::test
