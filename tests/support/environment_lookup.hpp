// A stand-in for the process environment, for code that reads variables through a lookup.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "protocol/runtime_dir.hpp"

namespace weft::test {

// Looks names up in `values` only; a name not there is unset.
inline protocol::EnvironmentLookup lookup_in(std::map<std::string, std::string> values) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(values));
  return [shared](const char* name) -> const char* {
    auto found = shared->find(name);
    return found == shared->end() ? nullptr : found->second.c_str();
  };
}

}  // namespace weft::test
