// Generation options only the native backend honours (a grammar, logit_bias, logprobs):
// every other backend refuses them by name, because ignoring one would return unconstrained
// text, or text without the numbers asked for, as if the request had been served.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "weft/types.hpp"

namespace weft::backend {

// The invalid_request message for the first such option `options` sets, or nullopt.
std::optional<std::string> unsupported_native_only_option(const GenerationOptions& options,
                                                          std::string_view backend);

}  // namespace weft::backend
