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
