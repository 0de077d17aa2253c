// Every shared chat template must render every reference case byte for byte as Python's
// Jinja2 did (or fail with the template's own message). Cases are read from the reference
// files at run time.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "chat/chat_template.hpp"
#include "chat/jinja/error.hpp"
#include "support/chat_template_cases.hpp"
#include "support/shared_files.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

const fs::path kTemplateDir = fs::path(WEFT_SHARED_DIR) / "models" / "chat-templates";

weft::chat::ChatRenderInput input_for(const ordered_json& test_case) {
  weft::chat::ChatRenderInput input;
  input.messages = test_case.at("messages");
  if (test_case.contains("tools")) input.tools = test_case.at("tools");
  input.add_generation_prompt = test_case.at("add_generation_prompt").get<bool>();
  input.bos_token = test_case.at("bos_token").get<std::string>();
  input.eos_token = test_case.at("eos_token").get<std::string>();
  input.now = weft::test::chat_template_reference_time();
  return input;
}

std::vector<fs::path> template_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kTemplateDir)) {
    if (entry.path().extension() == ".jinja") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The names (without .expected.json) of the reference files.
std::set<std::string> expected_names() {
  const std::string suffix = ".expected.json";
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(kTemplateDir / "expected")) {
    const std::string file = entry.path().filename().string();
    if (file.size() > suffix.size() && file.ends_with(suffix))
      names.insert(file.substr(0, file.size() - suffix.size()));
  }
  return names;
}

// How many templates and cases the shared reference data holds (models/README.md: seventeen
// templates); a case or file that goes missing must not pass unnoticed.
constexpr size_t kTemplateCount = 17;
constexpr size_t kCaseCount = 115;

TEST(ChatTemplateExactness, EveryReferenceCaseRendersExactly) {
  auto files = template_files();
  ASSERT_FALSE(files.empty()) << "no templates in " << kTemplateDir;
  // Every template has its reference file and every reference file its template.
  std::set<std::string> template_names;
  for (const auto& file : files) template_names.insert(file.stem().string());
  EXPECT_EQ(template_names, expected_names());
  EXPECT_EQ(files.size(), kTemplateCount);
  size_t total_cases = 0;
  size_t total_passed = 0;
  for (const auto& file : files) {
    std::string name = file.stem().string();
    SCOPED_TRACE(name);
    fs::path expected_path = kTemplateDir / "expected" / (name + ".expected.json");
    ASSERT_TRUE(fs::exists(expected_path)) << expected_path;
    auto cases = ordered_json::parse(weft::test::read_text_file(expected_path));
    ASSERT_TRUE(cases.is_array());
    ASSERT_FALSE(cases.empty());

    weft::chat::ChatTemplate chat_template(weft::test::read_text_file(file));
    size_t passed = 0;
    for (const auto& test_case : cases) {
      std::string case_name = test_case.at("case").get<std::string>();
      SCOPED_TRACE(case_name);
      auto input = input_for(test_case);
      if (test_case.contains("error")) {
        std::string expected_error = test_case.at("error").get<std::string>();
        try {
          std::string rendered = chat_template.render(input);
          ADD_FAILURE() << "expected the error \"" << expected_error << "\", rendered:\n"
                        << rendered;
        } catch (const weft::chat::jinja::TemplateError& error) {
          EXPECT_EQ(error.what(), expected_error);
          if (error.what() == expected_error) ++passed;
        }
        continue;
      }
      std::string expected = test_case.at("expected").get<std::string>();
      try {
        std::string rendered = chat_template.render(input);
        EXPECT_EQ(rendered, expected);
        if (rendered == expected) ++passed;
      } catch (const std::exception& error) {
        ADD_FAILURE() << "render failed: " << error.what();
      }
    }
    std::cout << "[chat-template] " << name << ": " << passed << "/" << cases.size()
              << " cases exact\n";
    EXPECT_EQ(passed, cases.size());
    total_cases += cases.size();
    total_passed += passed;
  }
  std::cout << "[chat-template] total: " << total_passed << "/" << total_cases << " cases over "
            << files.size() << " templates\n";
  EXPECT_EQ(total_passed, total_cases);
  EXPECT_EQ(total_cases, kCaseCount);
}

}  // namespace
