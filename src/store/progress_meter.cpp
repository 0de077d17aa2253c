#include "store/progress_meter.hpp"

#include <unistd.h>

#include <cmath>

namespace weft::store {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kTerminalInterval = std::chrono::milliseconds(100);
constexpr auto kLogInterval = std::chrono::seconds(5);
constexpr int kBarWidth = 30;

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto total = static_cast<long long>(seconds + 0.5);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", total / 3600, total / 60 % 60);
  } else if (total >= 60) {
    std::snprintf(text, sizeof text, "%lldm%02llds", total / 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%llds", total);
  }
  return text;
}

}  // namespace

std::string human_bytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, kUnits[unit]);
  return text;
}

ProgressMeter::ProgressMeter(std::FILE* out, std::string label)
    : out_(out), label_(std::move(label)), started_(Clock::now()) {
  terminal_ = out_ && ::isatty(::fileno(out_));
}

std::string ProgressMeter::line(uint64_t done, uint64_t total, uint64_t resumed_from) const {
  const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(done - resumed_from) / seconds : 0;
  std::string text = label_;
  text.push_back(' ');
  if (total > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    if (terminal_) {
      const int filled = static_cast<int>(fraction * kBarWidth);
      text.push_back('[');
      text.append(static_cast<size_t>(filled), '#');
      text.append(static_cast<size_t>(kBarWidth - filled), ' ');
      text.append("] ");
    }
    char percent[16];
    std::snprintf(percent, sizeof percent, "%3.0f%% ", fraction * 100);
    text += percent;
    text += human_bytes(done) + " / " + human_bytes(total);
  } else {
    text += human_bytes(done);
  }
  text += ", " + human_bytes(static_cast<uint64_t>(rate)) + "/s";
  if (total > done && rate > 0) {
    text += ", " + duration_text(static_cast<double>(total - done) / rate) + " left";
  }
  return text;
}

void ProgressMeter::update(uint64_t done, uint64_t total, uint64_t resumed_from) {
  if (!out_) return;
  const auto now = Clock::now();
  const Clock::duration interval =
      terminal_ ? Clock::duration(kTerminalInterval) : Clock::duration(kLogInterval);
  if (now - last_drawn_ < interval) return;
  last_drawn_ = now;
  if (terminal_) {
    std::fprintf(out_, "\r\033[K%s", line(done, total, resumed_from).c_str());
  } else {
    std::fprintf(out_, "%s\n", line(done, total, resumed_from).c_str());
  }
  std::fflush(out_);
}

void ProgressMeter::finish(uint64_t done, uint64_t total, uint64_t resumed_from) {
  if (!out_) return;
  std::fprintf(out_, terminal_ ? "\r\033[K%s\n" : "%s\n", line(done, total, resumed_from).c_str());
  std::fflush(out_);
}

}  // namespace weft::store
