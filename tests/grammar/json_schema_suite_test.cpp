// The official JSON-Schema-Test-Suite (Debian's json-schema-test-suite, the newest draft it
// ships) against grammars from json_schema_to_gbnf: for every group whose schema converts,
// the grammar accepts every instance marked valid and rejects every instance marked invalid,
// each written compactly and pretty-printed. Objects are unordered in JSON while a grammar
// fixes one member order, so an instance counts as accepted when some order of its members
// is, and as rejected when every order is. Groups the converter refuses, and the cases listed
// in case_skip_reason, are counted and printed as skipped — never as passed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "grammar/grammar.hpp"
#include "grammar/json_schema.hpp"
#include "weft/error.hpp"

namespace weft::grammar {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

constexpr const char* kSuiteRoot = "/usr/share/json-schema-test-suite/tests";
constexpr const char* kDraft = "draft7";  // the newest draft the Debian package ships
constexpr size_t kMaxOrders = 720;        // member orders tried per instance

bool contains_key(const ordered_json& value, const std::string& key) {
  if (value.is_object()) {
    for (const auto& [name, child] : value.items()) {
      if (name == key || contains_key(child, key)) return true;
    }
  } else if (value.is_array()) {
    for (const auto& child : value) {
      if (contains_key(child, key)) return true;
    }
  }
  return false;
}

bool contains_integral_float(const ordered_json& value) {
  if (value.is_number_float()) return std::floor(value.get<double>()) == value.get<double>();
  if (value.is_structured()) {
    for (const auto& child : value) {
      if (contains_integral_float(child)) return true;
    }
  }
  return false;
}

bool mentions_integer_type(const ordered_json& schema) {
  return schema.dump().find("\"integer\"") != std::string::npos;
}

// Cases a grammar cannot decide as the suite expects, each with the reason.
std::optional<std::string> case_skip_reason(const ordered_json& schema,
                                            const ordered_json& instance, bool valid) {
  if (!valid && contains_key(schema, "oneOf")) {
    return "oneOf is converted as anyOf: an instance matching two branches is not rejected";
  }
  if (contains_integral_float(instance) &&
      (mentions_integer_type(schema) || contains_key(schema, "enum") ||
       contains_key(schema, "const"))) {
    return "a float with a zero fraction (1.0) is an integer; grammars spell integers without one";
  }
  return std::nullopt;
}

// Every way of ordering the members of every object inside `value`, up to a cap.
std::vector<ordered_json> member_orders(const ordered_json& value) {
  if (value.is_array()) {
    std::vector<ordered_json> results = {ordered_json::array()};
    for (const auto& item : value) {
      std::vector<ordered_json> next;
      for (const auto& item_variant : member_orders(item)) {
        for (const auto& partial : results) {
          if (next.size() >= kMaxOrders) break;
          ordered_json extended = partial;
          extended.push_back(item_variant);
          next.push_back(std::move(extended));
        }
      }
      results = std::move(next);
    }
    return results;
  }
  if (!value.is_object()) return {value};
  std::vector<std::string> keys;
  for (const auto& [key, ignored] : value.items()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  std::vector<ordered_json> results;
  do {
    std::vector<ordered_json> partials = {ordered_json::object()};
    for (const auto& key : keys) {
      std::vector<ordered_json> next;
      for (const auto& member_variant : member_orders(value[key])) {
        for (const auto& partial : partials) {
          if (next.size() >= kMaxOrders) break;
          ordered_json extended = partial;
          extended[key] = member_variant;
          next.push_back(std::move(extended));
        }
      }
      partials = std::move(next);
    }
    for (auto& partial : partials) {
      if (results.size() < kMaxOrders) results.push_back(std::move(partial));
    }
  } while (results.size() < kMaxOrders && std::next_permutation(keys.begin(), keys.end()));
  return results;
}

std::string skip_keyword(const std::string& message) {
  static const std::regex kKeyword("unsupported keyword '([^']+)'");
  std::smatch match;
  if (std::regex_search(message, match, kKeyword)) return match[1];
  if (message.find("cannot merge") != std::string::npos) return "allOf (not mergeable)";
  if (message.find("$ref") != std::string::npos) return "$ref";
  return "other: " + message;
}

struct Report {
  size_t groups_covered = 0, groups_skipped = 0;
  size_t cases_passed = 0, cases_failed = 0, cases_in_skipped_groups = 0;
  std::map<std::string, size_t> skipped_groups_by_keyword;
  std::map<std::string, size_t> skipped_cases_by_reason;
  std::vector<std::string> skipped_group_names;
};

class SuiteRunner {
 public:
  explicit SuiteRunner(Report& report) : report_(report) {}

  void run_file(const fs::path& file, const std::string& label) {
    std::ifstream in(file);
    ordered_json groups = ordered_json::parse(in);
    for (const auto& group : groups)
      run_group(group, label + ": " + group["description"].get<std::string>());
  }

 private:
  void run_group(const ordered_json& group, const std::string& name) {
    std::string gbnf;
    try {
      gbnf = json_schema_to_gbnf(group["schema"]);
    } catch (const Error& error) {
      if (std::string(error.what()).find("accepts no value") != std::string::npos) {
        return expect_all_invalid(group, name);
      }
      ++report_.groups_skipped;
      report_.cases_in_skipped_groups += group["tests"].size();
      std::string keyword = skip_keyword(error.what());
      ++report_.skipped_groups_by_keyword[keyword];
      report_.skipped_group_names.push_back(name + " [" + keyword + "]");
      EXPECT_EQ(keyword.rfind("other:", 0), std::string::npos) << name << ": " << error.what();
      return;
    }
    ++report_.groups_covered;
    std::shared_ptr<const Grammar> grammar;
    try {
      grammar = parse_gbnf(gbnf);
    } catch (const Error& error) {
      ADD_FAILURE() << name << ": the grammar does not parse: " << error.what() << "\n" << gbnf;
      return;
    }
    for (const auto& test : group["tests"]) run_case(*grammar, group["schema"], test, name, gbnf);
  }

  // The converter found that nothing is valid: right when the suite agrees.
  void expect_all_invalid(const ordered_json& group, const std::string& name) {
    ++report_.groups_covered;
    for (const auto& test : group["tests"]) {
      if (test["valid"].get<bool>()) {
        ADD_FAILURE() << name << " / " << test["description"]
                      << ": the converter says no value is valid";
        ++report_.cases_failed;
      } else {
        ++report_.cases_passed;
      }
    }
  }

  bool some_order_matches(const Grammar& grammar, const std::vector<ordered_json>& orders,
                          int indent) {
    return std::any_of(orders.begin(), orders.end(), [&](const ordered_json& order) {
      return matches(grammar, order.dump(indent));
    });
  }

  void run_case(const Grammar& grammar, const ordered_json& schema, const ordered_json& test,
                const std::string& group_name, const std::string& gbnf) {
    const ordered_json& instance = test["data"];
    bool valid = test["valid"].get<bool>();
    if (auto reason = case_skip_reason(schema, instance, valid)) {
      ++report_.skipped_cases_by_reason[*reason];
      return;
    }
    std::vector<ordered_json> orders = member_orders(instance);
    for (int indent : {-1, 2}) {
      bool accepted = false;
      try {
        accepted = some_order_matches(grammar, orders, indent);
      } catch (const Error& error) {
        ADD_FAILURE() << group_name << " / " << test["description"] << ": matcher error "
                      << error.what();
        ++report_.cases_failed;
        return;
      }
      if (accepted != valid) {
        ADD_FAILURE() << group_name << " / " << test["description"] << ": instance "
                      << instance.dump(indent) << " is " << (valid ? "valid" : "invalid")
                      << " but the grammar " << (accepted ? "accepts" : "rejects") << " it\n"
                      << gbnf;
        ++report_.cases_failed;
        return;
      }
    }
    ++report_.cases_passed;
  }

  Report& report_;
};

void print(const Report& report) {
  std::cout << "JSON-Schema-Test-Suite " << kDraft << ": groups covered " << report.groups_covered
            << ", skipped " << report.groups_skipped << "; cases passed " << report.cases_passed
            << ", failed " << report.cases_failed << ", not run (their group skipped) "
            << report.cases_in_skipped_groups << "\n";
  std::cout << "skipped groups by keyword:\n";
  for (const auto& [keyword, count] : report.skipped_groups_by_keyword) {
    std::cout << "  " << keyword << ": " << count << "\n";
  }
  std::cout << "skipped cases by reason:\n";
  for (const auto& [reason, count] : report.skipped_cases_by_reason) {
    std::cout << "  " << count << ": " << reason << "\n";
  }
  std::cout << "skipped groups:\n";
  for (const auto& name : report.skipped_group_names) std::cout << "  " << name << "\n";
}

TEST(GrammarJsonSchemaSuite, EveryConvertibleGroupDecidesEveryCaseAsTheSuiteSays) {
  fs::path root = fs::path(kSuiteRoot) / kDraft;
  ASSERT_TRUE(fs::is_directory(root))
      << root << " is missing: install Debian's json-schema-test-suite package "
      << "(apt-get install json-schema-test-suite; scripts/install-deps.sh does it)";
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  Report report;
  SuiteRunner runner(report);
  for (const auto& file : files) runner.run_file(file, fs::relative(file, root).string());
  print(report);
  EXPECT_EQ(report.cases_failed, 0u);
  // Floors from the run the docs report (docs/grammar-json-schema.md): fewer means the
  // converter lost ground.
  EXPECT_GE(report.groups_covered, 82u);
  EXPECT_GE(report.cases_passed, 256u);
}

}  // namespace
}  // namespace weft::grammar
