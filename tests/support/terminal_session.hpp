// Runs the built `weft` on a pseudo-terminal, as a person at a terminal would: what it writes
// (stdout and stderr alike) is read back from the terminal, and keys are typed into it.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace weft::test {

class TerminalSession {
 public:
  // Starts `weft ARGUMENTS` with these environment variables set (an empty value unsets one).
  TerminalSession(const std::vector<std::string>& arguments,
                  const std::vector<std::pair<std::string, std::string>>& environment);
  ~TerminalSession();  // kills the program if it is still running
  TerminalSession(const TerminalSession&) = delete;
  TerminalSession& operator=(const TerminalSession&) = delete;

  void type(const std::string& keys);
  // Reads until everything shown so far holds `text` `count` times; false when the program
  // ends or 60 s pass first (a guard against hanging, not a timing check).
  bool wait_for(const std::string& text, size_t count = 1);
  // Reads until the line editor is reading: libedit puts the terminal in non-canonical mode
  // while it edits a line and restores it after. Keys typed before that are seen by the
  // terminal's line discipline instead (echoed, held for a newline, an EOF char consumed), so
  // a test types at the prompt only after this; false when the program ends or 60 s pass.
  // Call it only once the previous line was taken (e.g. its answer was seen).
  bool wait_for_editor();
  // Reads until the program ends; its exit status (-1 when it did not end within 60 s).
  int wait_exit();
  const std::string& shown() const { return shown_; }

 private:
  bool read_some(int timeout_ms);

  pid_t child_ = -1;
  int terminal_ = -1;
  bool ended_ = false;
  std::string shown_;
};

size_t count_occurrences(const std::string& text, const std::string& needle);

}  // namespace weft::test
