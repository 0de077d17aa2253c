// weft's GBNF engine against llama.cpp's own grammar matcher: grammars written for weft, each
// with strings whose verdicts llama.cpp gave (tests/grammar/data/llamacpp-verdicts, made by
// generate.mjs there through the npm package node-llama-cpp; README.md there says how). Every
// string must get llama.cpp's verdict from grammar::matches, and every grammar text must parse
// or fail to parse as it did in llama.cpp. Cases marked "excluded" (a known property of
// llama.cpp's matcher that weft deliberately does not share) are counted and printed with
// their reason, never counted as agreements.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "grammar/grammar.hpp"
#include "weft/error.hpp"

namespace weft::grammar {
namespace {

using nlohmann::json;

json load_verdicts() {
  const std::string path =
      std::string(WEFT_SOURCE_DIR) + "/tests/grammar/data/llamacpp-verdicts/verdicts.json";
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot open " + path);
  return json::parse(file);
}

std::string decode_hex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

std::string case_bytes(const json& entry) {
  return entry.contains("hex") ? decode_hex(entry.at("hex").get<std::string>())
                               : entry.at("text").get<std::string>();
}

std::string printable(const json& entry) {
  return entry.contains("hex") ? "hex " + entry.at("hex").get<std::string>()
                               : json(entry.at("text")).dump();
}

bool weft_parses(const std::string& gbnf) {
  try {
    parse_gbnf(gbnf);
    return true;
  } catch (const Error&) {
    return false;
  }
}

TEST(GrammarLlamaCppVerdicts, StringsGetLlamaCppsVerdict) {
  const json verdicts = load_verdicts();
  size_t grammars = 0, agreements = 0, excluded = 0;
  for (const auto& grammar_entry : verdicts.at("grammars")) {
    const auto name = grammar_entry.at("name").get<std::string>();
    const auto grammar = parse_gbnf(grammar_entry.at("gbnf").get<std::string>());
    ++grammars;
    for (const auto& entry : grammar_entry.at("cases")) {
      const bool llamacpp = entry.at("llamacpp_accepts").get<bool>();
      const bool weft = matches(*grammar, case_bytes(entry));
      if (entry.contains("excluded")) {
        ++excluded;
        std::cout << "excluded: " << name << " " << printable(entry) << " (llama.cpp "
                  << (llamacpp ? "accepts" : "rejects") << ", weft "
                  << (weft ? "accepts" : "rejects")
                  << "): " << entry.at("excluded").get<std::string>() << "\n";
        continue;
      }
      EXPECT_EQ(weft, llamacpp) << name << ": " << printable(entry);
      if (weft == llamacpp) ++agreements;
    }
  }
  std::cout << grammars << " grammars: " << agreements << " strings agree with llama.cpp, "
            << excluded << " excluded\n";
  EXPECT_GE(grammars, 10u);
}

TEST(GrammarLlamaCppVerdicts, GrammarsParseWhereLlamaCppParsesThem) {
  const json verdicts = load_verdicts();
  size_t agreements = 0, excluded = 0;
  for (const auto& entry : verdicts.at("parse_checks")) {
    const auto gbnf = entry.at("gbnf").get<std::string>();
    const bool llamacpp = entry.at("llamacpp_parses").get<bool>();
    const bool weft = weft_parses(gbnf);
    if (entry.contains("excluded")) {
      ++excluded;
      std::cout << "excluded: " << json(gbnf).dump() << " (llama.cpp "
                << (llamacpp ? "parses" : "rejects") << ", weft " << (weft ? "parses" : "rejects")
                << "): " << entry.at("excluded").get<std::string>() << "\n";
      continue;
    }
    EXPECT_EQ(weft, llamacpp) << json(gbnf).dump();
    if (weft == llamacpp) ++agreements;
  }
  std::cout << agreements << " grammar texts parse or fail as in llama.cpp, " << excluded
            << " excluded\n";
}

}  // namespace
}  // namespace weft::grammar
