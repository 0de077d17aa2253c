#include "cli/line_editor.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <clocale>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace weft::cli {
namespace {

constexpr int kHistorySize = 1000;
constexpr unsigned char kCtrlC = 0x03;
constexpr char kPromptEscape = '\1';

// libedit converts what it edits with the C library's multibyte functions: they must read
// UTF-8, whatever the locale the program was started in.
void use_utf8_characters() {
  std::setlocale(LC_CTYPE, "");
  if (MB_CUR_MAX == 1) std::setlocale(LC_CTYPE, "C.UTF-8");
}

// The length of a UTF-8 sequence from its first byte; 0 for a byte that cannot start one.
int utf8_length(unsigned char first) {
  if (first < 0x80) return 1;
  if ((first & 0xE0) == 0xC0) return 2;
  if ((first & 0xF0) == 0xE0) return 3;
  if ((first & 0xF8) == 0xF0) return 4;
  return 0;
}

}  // namespace

std::string chat_history_path() {
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state && state[0] == '/') return std::string(state) + "/weft/chat_history";
  const char* home = std::getenv("HOME");
  if (home && home[0] != '\0') return std::string(home) + "/.local/state/weft/chat_history";
  return {};
}

LineEditor::LineEditor(int wake_fd, std::string history_path, bool bold_prompt)
    : wake_fd_(wake_fd), history_path_(std::move(history_path)), bold_prompt_(bold_prompt) {
  use_utf8_characters();
  editor_ = el_init("weft", stdin, stdout, stderr);
  history_ = history_init();
  HistEvent event;
  history(history_, &event, H_SETSIZE, kHistorySize);
  history(history_, &event, H_SETUNIQUE, 1);
  if (!history_path_.empty()) {
    std::error_code ignored;
    if (std::filesystem::exists(history_path_, ignored))
      history(history_, &event, H_LOAD, history_path_.c_str());
  }
  el_set(editor_, EL_CLIENTDATA, this);
  el_set(editor_, EL_EDITOR, "emacs");
  el_set(editor_, EL_SIGNAL, 0);
  el_set(editor_, EL_HIST, history, history_);
  // Between two kPromptEscape characters the prompt's text takes no room on the screen.
  el_set(editor_, EL_PROMPT_ESC, &LineEditor::prompt_text, kPromptEscape);
  el_set(editor_, EL_GETCFN, &LineEditor::read_character);
  el_source(editor_, nullptr);  // the user's ~/.editrc, as other libedit programs read it
}

LineEditor::~LineEditor() {
  save_history();
  el_end(editor_);
  history_end(history_);
}

void LineEditor::save_history() {
  if (history_path_.empty()) return;
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(history_path_).parent_path(), error);
  HistEvent event;
  if (!error && history(history_, &event, H_SAVE, history_path_.c_str()) >= 0) return;
  if (!warned_) {
    std::fprintf(stderr, "weft: warning: cannot write the chat history to %s%s%s\n",
                 history_path_.c_str(), error ? ": " : "", error ? error.message().c_str() : "");
    warned_ = true;
  }
}

InputStatus LineEditor::read_line(std::string& line, std::string_view prompt) {
  prompt_ = prompt;
  if (bold_prompt_) {
    // libedit drops an escaped part at the very end of a prompt: the reset goes before the
    // prompt's trailing blank.
    const size_t blank = prompt.find_last_not_of(' ') + 1;
    prompt_ = "\1\033[1m\1" + std::string(prompt.substr(0, blank)) + "\1\033[0m\1" +
              std::string(prompt.substr(blank));
  }
  interrupted_ = false;
  int count = 0;
  const char* text = el_gets(editor_, &count);
  if (interrupted_) return InputStatus::interrupted;
  if (!text || count <= 0) return InputStatus::end;
  line.assign(text, static_cast<size_t>(count));
  if (!line.empty() && line.back() == '\n') line.pop_back();
  if (line.find_first_not_of(" \t") != std::string::npos) {
    HistEvent event;
    history(history_, &event, H_ENTER, line.c_str());
  }
  return InputStatus::line;
}

char* LineEditor::prompt_text(EditLine* editor) {
  void* self = nullptr;
  el_get(editor, EL_CLIENTDATA, &self);
  return static_cast<LineEditor*>(self)->prompt_.data();
}

int LineEditor::read_character(EditLine* editor, wchar_t* character) {
  void* self = nullptr;
  el_get(editor, EL_CLIENTDATA, &self);
  return static_cast<LineEditor*>(self)->next_character(character);
}

// One byte from the terminal, or -1 (errno EINTR) when a Ctrl-C came first; 0 at its end.
int LineEditor::next_byte(unsigned char* byte) {
  if (pending_byte_) {
    *byte = *pending_byte_;
    pending_byte_.reset();
    return 1;
  }
  while (true) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (fds[1].revents & POLLIN) {
      interrupted_ = true;
      errno = EINTR;
      return -1;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(STDIN_FILENO, byte, 1);
      if (n < 0 && errno == EINTR) continue;
      return n < 0 ? -1 : static_cast<int>(n);
    }
  }
}

// Decodes UTF-8 itself (the editor's wide characters are code points on Linux), so that what
// is typed does not depend on the locale; a terminal that sends Ctrl-C as a character (when
// the editor's mode turned signals off) is an interrupt too.
int LineEditor::next_character(wchar_t* character) {
  unsigned char first = 0;
  int status = next_byte(&first);
  if (status != 1) return status;
  if (first == kCtrlC) {
    interrupted_ = true;
    errno = EINTR;
    return -1;
  }
  const int length = utf8_length(first);
  if (length <= 1) {
    *character = static_cast<wchar_t>(length == 1 ? first : 0xFFFD);
    return 1;
  }
  uint32_t code = first & (0xFF >> (length + 1));
  for (int i = 1; i < length; ++i) {
    unsigned char next = 0;
    status = next_byte(&next);
    if (status != 1) return status;
    if ((next & 0xC0) != 0x80) {
      // A broken sequence: the byte that broke it (a newline, say) is the next character.
      pending_byte_ = next;
      code = 0xFFFD;
      break;
    }
    code = (code << 6) | (next & 0x3F);
  }
  *character = static_cast<wchar_t>(code);
  return 1;
}

}  // namespace weft::cli
