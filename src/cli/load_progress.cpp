#include "cli/load_progress.hpp"

#include <unistd.h>

#include "sync/mutex.hpp"

namespace weft::cli {
namespace {

// A load shorter than this shows nothing: a flash of a spinner is noise.
constexpr std::chrono::milliseconds kQuietStart{1000};
constexpr std::chrono::milliseconds kRedrawInterval{100};
constexpr int kBarWidth = 24;
constexpr char kSpinner[] = {'|', '/', '-', '\\'};

}  // namespace

LoadProgressDisplay::Mode LoadProgressDisplay::mode_for_stderr(bool verbose) {
  // --verbose keeps every step on its own line, on a terminal too: a step such as why the
  // packed-weight cache was not used would flash by on a redrawn line.
  if (verbose) return Mode::lines;
  return isatty(STDERR_FILENO) ? Mode::redrawn : Mode::none;
}

LoadProgressDisplay::LoadProgressDisplay(Mode mode, std::FILE* out) : mode_(mode), out_(out) {
  if (mode_ == Mode::redrawn) redrawer_ = std::thread([this] { redraw_loop(); });
}

LoadProgressDisplay::~LoadProgressDisplay() {
  finish();
}

void LoadProgressDisplay::update(const LoadProgress& progress) {
  sync::MutexLock lock(mutex_);
  if (finished_) return;
  const bool new_step = progress.step != step_;
  step_ = progress.step;
  done_ = progress.done;
  total_ = progress.total;
  if (mode_ == Mode::lines && new_step) {
    step_starts_.emplace_back(step_, std::chrono::steady_clock::now());
    std::fprintf(out_, "weft: loading: %s\n", step_.c_str());
    std::fflush(out_);
  }
}

void LoadProgressDisplay::finish() {
  {
    sync::MutexLock lock(mutex_);
    if (finished_) return;
    finished_ = true;
    if (mode_ == Mode::lines && !step_starts_.empty()) {
      std::fprintf(out_, "weft: loading: took %s\n",
                   step_times_text(std::chrono::steady_clock::now()).c_str());
      std::fflush(out_);
    }
  }
  wake_.notify_all();
  if (redrawer_.joinable()) redrawer_.join();
  const sync::MutexLock lock(mutex_);
  if (drawn_) {
    std::fputs("\r\033[K", out_);
    std::fflush(out_);
  }
}

// "mapping the file 0.1 ms, reading the weights 2.0 ms, ..." up to `end`.
std::string LoadProgressDisplay::step_times_text(std::chrono::steady_clock::time_point end) const {
  std::string text;
  for (size_t i = 0; i < step_starts_.size(); ++i) {
    const auto step_end = i + 1 < step_starts_.size() ? step_starts_[i + 1].second : end;
    const double ms =
        std::chrono::duration<double, std::milli>(step_end - step_starts_[i].second).count();
    char duration[32];
    std::snprintf(duration, sizeof duration, " %.1f ms", ms);
    if (!text.empty()) text += ", ";
    text += step_starts_[i].first + duration;
  }
  return text;
}

std::string LoadProgressDisplay::line_text(char spinner) const {
  std::string text = "\r\033[K";
  text += spinner;
  text += " loading: " + step_;
  if (total_ > 0) {
    const int filled = static_cast<int>(done_ * kBarWidth / total_);
    text += " [" + std::string(static_cast<size_t>(filled), '#') +
            std::string(static_cast<size_t>(kBarWidth - filled), ' ') + "] " +
            std::to_string(done_ * 100 / total_) + "%";
  }
  return text;
}

void LoadProgressDisplay::redraw_loop() {
  sync::MutexLock lock(mutex_);
  const auto quiet_until = std::chrono::steady_clock::now() + kQuietStart;
  if (lock.wait_until(wake_, quiet_until, [this]() WEFT_REQUIRES(mutex_) { return finished_; }))
    return;
  for (size_t turn = 0; !finished_; ++turn) {
    std::fputs(line_text(kSpinner[turn % sizeof kSpinner]).c_str(), out_);
    std::fflush(out_);
    drawn_ = true;
    lock.wait_for(wake_, kRedrawInterval, [this]() WEFT_REQUIRES(mutex_) { return finished_; });
  }
}

void load_with_progress(Backend& backend, const LoadOptions& options,
                        LoadProgressDisplay::Mode mode) {
  if (mode == LoadProgressDisplay::Mode::none) {
    backend.load(options);
    return;
  }
  LoadProgressDisplay display(mode);
  LoadOptions with_progress = options;
  with_progress.progress = display.callback();
  backend.load(with_progress);
}

}  // namespace weft::cli
