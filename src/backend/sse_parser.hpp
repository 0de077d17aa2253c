// Server-sent events (the WHATWG text/event-stream format) parsed incrementally: bytes in
// arbitrary pieces, events out once their terminating blank line has arrived.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "backend/line_splitter.hpp"

namespace weft::backend {

struct SseEvent {
  std::string type = "message";  // the `event:` field
  std::string data;              // `data:` lines joined with "\n"
};

class SseParser {
 public:
  // Returns the events completed by `bytes`. Comments (":…") and unknown fields are skipped.
  std::vector<SseEvent> feed(std::string_view bytes);
  // At the end of the stream: an event whose blank line never came, if it has data.
  std::vector<SseEvent> finish();

 private:
  void take_line(const std::string& line, std::vector<SseEvent>& events);

  LineSplitter lines_;
  SseEvent current_;
  bool has_data_ = false;
};

}  // namespace weft::backend
