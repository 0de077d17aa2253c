#include "runtime/stop_matcher.hpp"

#include <algorithm>
#include <utility>

namespace weft::runtime {

StopMatcher::StopMatcher(std::vector<std::string> stops) {
  for (auto& stop : stops) {
    if (!stop.empty()) stops_.push_back(std::move(stop));
  }
}

StopMatcher::Step StopMatcher::feed(std::string_view text) {
  pending_.append(text);
  Step step;
  size_t first_stop = std::string::npos;
  for (const auto& stop : stops_) first_stop = std::min(first_stop, pending_.find(stop));
  if (first_stop != std::string::npos) {
    step.emit = pending_.substr(0, first_stop);
    step.stopped = true;
    pending_.clear();
    return step;
  }
  // Hold back the longest tail that is a proper prefix of some stop string.
  size_t hold = 0;
  for (const auto& stop : stops_) {
    size_t longest = std::min(stop.size() - 1, pending_.size());
    for (size_t len = longest; len > hold; --len) {
      if (pending_.compare(pending_.size() - len, len, stop, 0, len) == 0) {
        hold = len;
        break;
      }
    }
  }
  step.emit = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return step;
}

std::string StopMatcher::flush() {
  return std::exchange(pending_, {});
}

}  // namespace weft::runtime
