#include "store/progress_meter.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace weft::store {
namespace {

std::string contents(std::FILE* file) {
  std::rewind(file);
  std::string text;
  for (int c; (c = std::fgetc(file)) != EOF;) text.push_back(static_cast<char>(c));
  return text;
}

TEST(ProgressMeter, PlainLinesWhenNotATerminal) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  ProgressMeter meter(file, "model.gguf");
  meter.update(500, 2000, 0);  // the first update is drawn
  meter.update(600, 2000, 0);  // within 5 s of it: not drawn
  meter.finish(2000, 2000, 0);
  const std::string text = contents(file);
  std::fclose(file);
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(text.find('\033'), std::string::npos) << text;
  EXPECT_NE(text.find("model.gguf  25% 500 B / 2.0 KB"), std::string::npos) << text;
  EXPECT_EQ(text.find("600 B"), std::string::npos) << text;
  EXPECT_NE(text.find("model.gguf 100% 2.0 KB / 2.0 KB"), std::string::npos) << text;
  EXPECT_NE(text.find("/s"), std::string::npos) << text;  // the rate
}

// On a terminal (a pseudo-terminal here): one line redrawn in place, with a bar, the
// percentage, bytes, rate and time left, ended by a newline when finished.
TEST(ProgressMeter, ABarRedrawnInPlaceOnATerminal) {
  int controller = -1;
  int terminal = -1;
  ASSERT_EQ(::openpty(&controller, &terminal, nullptr, nullptr, nullptr), 0);
  std::FILE* out = ::fdopen(terminal, "w");
  ASSERT_NE(out, nullptr);
  {
    ProgressMeter meter(out, "model.gguf");
    meter.update(500, 2000, 0);
    meter.finish(2000, 2000, 0);
  }
  std::fclose(out);
  std::string shown;
  char buffer[4096];
  for (pollfd ready{controller, POLLIN, 0}; ::poll(&ready, 1, 100) > 0;) {
    const ssize_t n = ::read(controller, buffer, sizeof buffer);
    if (n <= 0) break;
    shown.append(buffer, static_cast<size_t>(n));
  }
  ::close(controller);
  EXPECT_EQ(shown.find("\r\033[K"), 0u) << shown;  // drawn over the line, not below it
  EXPECT_NE(shown.find("model.gguf [#######                       ]  25% 500 B / 2.0 KB"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find(" left"), std::string::npos) << shown;  // the time left
  EXPECT_NE(shown.find("[##############################] 100% 2.0 KB / 2.0 KB"), std::string::npos)
      << shown;
  EXPECT_EQ(shown.back(), '\n') << shown;  // the finished line stays
}

TEST(ProgressMeter, HumanBytes) {
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(1'500'000), "1.5 MB");
  EXPECT_EQ(human_bytes(4'700'000'000), "4.7 GB");
}

}  // namespace
}  // namespace weft::store
