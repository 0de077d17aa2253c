#include "grammar/json_schema_merge.hpp"

#include <algorithm>
#include <set>

#include "grammar/json_schema.hpp"
#include "weft/error.hpp"

namespace weft::grammar::schema {
namespace {

using nlohmann::ordered_json;

const std::set<std::string> kAllTypes = {"null",   "boolean", "integer", "number",
                                         "string", "array",   "object"};

std::set<std::string> type_set(const ordered_json& type, const std::string& pointer) {
  std::set<std::string> types;
  auto add = [&](const ordered_json& name) {
    if (!name.is_string() || kAllTypes.count(name.get<std::string>()) == 0) {
      throw Error("json schema: invalid 'type' at " + pointer);
    }
    types.insert(name.get<std::string>());
  };
  if (type.is_array()) {
    for (const auto& name : type) add(name);
  } else {
    add(type);
  }
  return types;
}

// "number" includes "integer": their intersection is "integer".
ordered_json intersect_types(const ordered_json& a, const ordered_json& b,
                             const std::string& pointer) {
  std::set<std::string> left = type_set(a, pointer), right = type_set(b, pointer);
  ordered_json result = ordered_json::array();
  for (const auto& name : kAllTypes) {
    bool in_left = left.count(name) || (name == "integer" && left.count("number"));
    bool in_right = right.count(name) || (name == "integer" && right.count("number"));
    if (in_left && in_right) result.push_back(name);
  }
  return result;
}

bool is_lower_bound(const std::string& keyword) {
  return keyword == "minimum" || keyword == "exclusiveMinimum" || keyword == "minLength" ||
         keyword == "minItems";
}

bool is_upper_bound(const std::string& keyword) {
  return keyword == "maximum" || keyword == "exclusiveMaximum" || keyword == "maxLength" ||
         keyword == "maxItems";
}

class Merger {
 public:
  Merger(const std::string& pointer, const RefResolver& resolve)
      : pointer_(pointer), resolve_(resolve) {}

  void add(const ordered_json& part, size_t depth) {
    if (depth > kMaxSchemaNesting)
      throw Error("json schema: allOf nested too deeply at " + pointer_);
    if (part.is_boolean()) {
      if (!part.get<bool>()) impossible_ = true;
      return;
    }
    const ordered_json& schema = resolve_(part, pointer_);
    if (&schema != &part) return add(schema, depth + 1);
    if (!schema.is_object())
      throw Error("json schema: allOf at " + pointer_ + " holds a non-schema");
    parts_.push_back(&schema);
    for (const auto& [keyword, value] : schema.items()) {
      if (keyword == "allOf") {
        if (!value.is_array()) throw Error("json schema: 'allOf' must be an array at " + pointer_);
        for (const auto& inner : value) add(inner, depth + 1);
        continue;
      }
      if (is_annotation(keyword) || keyword == "definitions" || keyword == "$defs") continue;
      merge_keyword(keyword, value);
    }
  }

  ordered_json result() {
    if (impossible_) return false;
    check_additional("additionalProperties", "properties");
    check_additional("additionalItems", "items");
    return merged_;
  }

 private:
  void merge_keyword(const std::string& keyword, const ordered_json& value) {
    if (!merged_.contains(keyword)) {
      merged_[keyword] = value;
      return;
    }
    ordered_json& current = merged_[keyword];
    if (current == value) return;
    if (keyword == "type") {
      current = intersect_types(current, value, pointer_);
    } else if (keyword == "required" && current.is_array() && value.is_array()) {
      for (const auto& name : value) {
        if (std::find(current.begin(), current.end(), name) == current.end())
          current.push_back(name);
      }
    } else if (keyword == "properties" && current.is_object() && value.is_object()) {
      for (const auto& [name, schema] : value.items()) {
        if (current.contains(name)) {
          current[name] = ordered_json{{"allOf", ordered_json::array({current[name], schema})}};
        } else {
          current[name] = schema;
        }
      }
    } else if (keyword == "items" && current.is_object() && value.is_object()) {
      current = ordered_json{{"allOf", ordered_json::array({current, value})}};
    } else if (is_lower_bound(keyword) && current.is_number() && value.is_number()) {
      if (value > current) current = value;
    } else if (is_upper_bound(keyword) && current.is_number() && value.is_number()) {
      if (value < current) current = value;
    } else {
      throw Error("json schema: cannot merge the different values of '" + keyword +
                  "' in allOf at " + pointer_);
    }
  }

  // additionalProperties in one part speaks of the names outside that part's own
  // `properties`: merged, it would be wrong unless every part names the same properties.
  void check_additional(const std::string& additional, const std::string& listed) {
    if (!merged_.contains(additional) || merged_[additional] == true) return;
    for (const ordered_json* part : parts_) {
      ordered_json own = part->contains(listed) ? (*part)[listed] : ordered_json();
      ordered_json all = merged_.contains(listed) ? merged_[listed] : ordered_json();
      bool same = listed == "properties" ? same_names(own, all) : own == all;
      if (!same) {
        throw Error("json schema: cannot merge '" + additional + "' with '" + listed +
                    "' from other allOf parts at " + pointer_);
      }
    }
  }

  static bool same_names(const ordered_json& a, const ordered_json& b) {
    std::set<std::string> left, right;
    if (a.is_object())
      for (const auto& [name, ignored] : a.items()) left.insert(name);
    if (b.is_object())
      for (const auto& [name, ignored] : b.items()) right.insert(name);
    return left == right;
  }

  std::string pointer_;
  const RefResolver& resolve_;
  ordered_json merged_ = ordered_json::object();
  std::vector<const ordered_json*> parts_;
  bool impossible_ = false;
};

}  // namespace

bool is_annotation(const std::string& keyword) {
  static const std::set<std::string> kAnnotations = {"title",     "description", "$comment",
                                                     "examples",  "default",     "readOnly",
                                                     "writeOnly", "deprecated",  "$schema"};
  return kAnnotations.count(keyword) != 0;
}

ordered_json merge_schemas(const std::vector<ordered_json>& parts, const std::string& pointer,
                           const RefResolver& resolve) {
  Merger merger(pointer, resolve);
  for (const auto& part : parts) merger.add(part, 0);
  return merger.result();
}

}  // namespace weft::grammar::schema
