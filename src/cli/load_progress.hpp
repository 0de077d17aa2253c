// What `weft run` and `weft chat` show on stderr while a model loads. With --verbose, on a
// terminal or not: one plain line per step (why the packed-weight cache was not used among
// them) and, when the load ends, one line with the time each step took (what a cold-start
// profile reads: bench/cold_start.py). Else on a terminal: after the load has taken a second,
// one line redrawn in place with a spinner, the step and, for a step that counts its work
// (packing weights), a bar and its percentage; the line is cleared when the load ends. Else
// nothing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sync/mutex.hpp"
#include "weft/backend.hpp"

namespace weft::cli {

class LoadProgressDisplay {
 public:
  enum class Mode { none, lines, redrawn };
  // The mode for stderr: lines with `verbose`, else redrawn on a terminal, else none.
  static Mode mode_for_stderr(bool verbose);

  explicit LoadProgressDisplay(Mode mode, std::FILE* out = stderr);
  ~LoadProgressDisplay();  // finish()
  LoadProgressDisplay(const LoadProgressDisplay&) = delete;
  LoadProgressDisplay& operator=(const LoadProgressDisplay&) = delete;

  // What the loader calls (LoadOptions::progress).
  void update(const LoadProgress& progress);
  LoadProgressCallback callback() {
    return [this](const LoadProgress& progress) { update(progress); };
  }
  // Clears the line; idempotent.
  void finish();

 private:
  void redraw_loop();
  std::string line_text(char spinner) const WEFT_REQUIRES(mutex_);
  std::string step_times_text(std::chrono::steady_clock::time_point end) const
      WEFT_REQUIRES(mutex_);

  Mode mode_;
  std::FILE* out_;
  sync::Mutex mutex_;
  std::condition_variable wake_;
  std::string step_ WEFT_GUARDED_BY(mutex_);
  uint64_t done_ WEFT_GUARDED_BY(mutex_) = 0;
  uint64_t total_ WEFT_GUARDED_BY(mutex_) = 0;
  bool drawn_ WEFT_GUARDED_BY(mutex_) = false;
  bool finished_ WEFT_GUARDED_BY(mutex_) = false;
  std::thread redrawer_;
  // When each step began, in order (the lines mode reports the durations at finish()).
  std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> step_starts_
      WEFT_GUARDED_BY(mutex_);
};

// backend.load(options), showing its progress in `mode` where the backend reports it (native).
void load_with_progress(Backend& backend, const LoadOptions& options,
                        LoadProgressDisplay::Mode mode);

}  // namespace weft::cli
