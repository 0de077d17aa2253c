// Download progress for people: a bar redrawn in place on a terminal, a plain line every few
// seconds otherwise (logs, pipes), with bytes, rate and time left.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace weft::store {

class ProgressMeter {
 public:
  // `out` may be null: then nothing is shown.
  ProgressMeter(std::FILE* out, std::string label);
  // `done` bytes of `total` (0 = unknown); `resumed_from` bytes were there before this run and
  // do not count towards the rate.
  void update(uint64_t done, uint64_t total, uint64_t resumed_from);
  // Draws the last state and ends the line.
  void finish(uint64_t done, uint64_t total, uint64_t resumed_from);

 private:
  std::string line(uint64_t done, uint64_t total, uint64_t resumed_from) const;

  std::FILE* out_;
  std::string label_;
  bool terminal_ = false;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_drawn_{};
};

// "1.5 GB", "23.4 MB", "512 B".
std::string human_bytes(uint64_t bytes);

}  // namespace weft::store
