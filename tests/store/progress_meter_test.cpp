#include "store/progress_meter.hpp"

#include <gtest/gtest.h>

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

TEST(ProgressMeter, HumanBytes) {
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(1'500'000), "1.5 MB");
  EXPECT_EQ(human_bytes(4'700'000'000), "4.7 GB");
}

}  // namespace
}  // namespace weft::store
