// Streaming stop-string detection: text is released only once it can no longer be the
// start of a stop string, so no part of a stop string is ever emitted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weft::runtime {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  struct Step {
    std::string emit;      // text safe to release now
    bool stopped = false;  // a stop string was found; nothing after it is emitted
  };
  Step feed(std::string_view text);
  // At the end of generation: releases whatever was held back.
  std::string flush();

 private:
  std::vector<std::string> stops_;
  std::string pending_;
};

}  // namespace weft::runtime
