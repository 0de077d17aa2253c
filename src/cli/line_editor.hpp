// The line editor of `weft chat` on a terminal, on libedit (BSD-licensed; Debian libedit-dev):
// arrow keys and the usual Emacs keys, a history within the session that is also kept in a
// file between sessions, Ctrl-D to leave, and Ctrl-C at the prompt reported as an interrupt.
//
// Ctrl-C reaches the editor without a signal handler: the InterruptWatcher's wake pipe
// (interrupt_watcher.hpp) is polled beside the terminal by the editor's own character reader.
#pragma once

#include <histedit.h>

#include <optional>
#include <string>
#include <string_view>

#include "cli/chat_input.hpp"

namespace weft::cli {

// $XDG_STATE_HOME/weft/chat_history, else ~/.local/state/weft/chat_history; "" when neither
// XDG_STATE_HOME (absolute) nor HOME is set.
std::string chat_history_path();

class LineEditor : public LineSource {
 public:
  // Loads the history from `history_path` ("" = keep none); a file that does not exist yet is
  // fine.
  // `bold_prompt`: the prompt in bold (terminal_style.hpp).
  LineEditor(int wake_fd, std::string history_path, bool bold_prompt);
  ~LineEditor() override;
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  InputStatus read_line(std::string& line, std::string_view prompt) override;

  // Writes the history file (creating its folder); says why on stderr as a warning when it
  // cannot, once.
  void save_history();

 private:
  static int read_character(EditLine* editor, wchar_t* character);
  static char* prompt_text(EditLine* editor);
  int next_character(wchar_t* character);
  int next_byte(unsigned char* byte);

  int wake_fd_;
  std::string history_path_;
  std::string prompt_;
  bool bold_prompt_;
  bool interrupted_ = false;
  std::optional<unsigned char> pending_byte_;
  bool warned_ = false;
  EditLine* editor_ = nullptr;
  History* history_ = nullptr;
};

}  // namespace weft::cli
