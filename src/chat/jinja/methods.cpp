// Methods of str, dict and list that templates call (message.content.strip(),
// tool.get('description', '')…). Methods that would mutate a value are refused, as in Hugging
// Face's ImmutableSandboxedEnvironment.
#include <algorithm>
#include <charconv>
#include <functional>
#include <set>

#include "chat/jinja/error.hpp"
#include "chat/jinja/interpreter.hpp"
#include "chat/jinja/operations.hpp"
#include "chat/jinja/unicode.hpp"

namespace weft::chat::jinja {
namespace {

using Method = std::function<Value(const CallArgs&)>;

Value make_method(const std::string& name, Method method) {
  auto callable = std::make_shared<Callable>();
  callable->name = name;
  callable->call = [method = std::move(method)](const CallArgs& args, Interpreter&) {
    return method(args);
  };
  return Value(std::move(callable));
}

// A method that builds a string, told the rendering's max_value_bytes.
using BuildingMethod = std::function<Value(const CallArgs&, size_t max_value_bytes)>;

Value make_building_method(const std::string& name, BuildingMethod method) {
  auto callable = std::make_shared<Callable>();
  callable->name = name;
  callable->call = [method = std::move(method)](const CallArgs& args, Interpreter& interpreter) {
    return method(args, interpreter.options().limits.max_value_bytes);
  };
  return Value(std::move(callable));
}

Value unsafe_method(const Value& receiver, const std::string& name) {
  std::string message =
      "access to attribute '" + name + "' of '" + receiver.type_name() + "' object is unsafe.";
  return make_method(name, [message](const CallArgs&) -> Value { fail(message); });
}

const std::string* optional_string(const CallArgs& args, size_t index, const std::string& name) {
  const Value* value = argument(args, index, name);
  if (!value || value->is_none()) return nullptr;
  if (!value->is_string()) fail(name + " must be a string, not " + value->type_name());
  return &value->as_string();
}

const std::string& required_string(const CallArgs& args, size_t index, const std::string& name) {
  const std::string* text = optional_string(args, index, name);
  if (!text) fail("missing required argument '" + name + "'");
  return *text;
}

int64_t optional_int(const CallArgs& args, size_t index, const std::string& name,
                     int64_t fallback) {
  const Value* value = argument(args, index, name);
  if (!value || value->is_none()) return fallback;
  if (!value->is_int()) fail(name + " must be an integer, not " + value->type_name());
  return value->as_int();
}

// Each part becomes a Value of its own: a text of many separators gives many parts.
void check_part_count(size_t parts, size_t max_value_bytes) {
  if (parts > max_value_bytes / sizeof(Value))
    check_value_bytes(parts * sizeof(Value), max_value_bytes);
}

std::vector<std::string> split_whitespace(const std::string& text, int64_t max_split,
                                          size_t max_value_bytes) {
  auto chars = unicode::decode(text);
  std::vector<std::string> parts;
  size_t i = 0;
  while (true) {
    check_part_count(parts.size() + 1, max_value_bytes);
    while (i < chars.size() && unicode::is_space(chars[i])) ++i;
    if (i >= chars.size()) break;
    if (max_split >= 0 && static_cast<int64_t>(parts.size()) >= max_split) {
      size_t end = chars.size();
      while (end > i && unicode::is_space(chars[end - 1])) --end;
      parts.push_back(unicode::encode(std::u32string_view(chars).substr(i, end - i)));
      break;
    }
    size_t start = i;
    while (i < chars.size() && !unicode::is_space(chars[i])) ++i;
    parts.push_back(unicode::encode(std::u32string_view(chars).substr(start, i - start)));
  }
  return parts;
}

std::vector<std::string> split_on(const std::string& text, const std::string& separator,
                                  int64_t max_split, size_t max_value_bytes) {
  if (separator.empty()) fail("empty separator");
  std::vector<std::string> parts;
  size_t start = 0;
  while (max_split < 0 || static_cast<int64_t>(parts.size()) < max_split) {
    check_part_count(parts.size() + 2, max_value_bytes);
    size_t found = text.find(separator, start);
    if (found == std::string::npos) break;
    parts.push_back(text.substr(start, found - start));
    start = found + separator.size();
  }
  parts.push_back(text.substr(start));
  return parts;
}

std::vector<std::string> rsplit_on(const std::string& text, const std::string& separator,
                                   int64_t max_split, size_t max_value_bytes) {
  if (separator.empty()) fail("empty separator");
  std::vector<std::string> parts;  // last part first, reversed at the end
  size_t end = text.size();
  while (max_split < 0 || static_cast<int64_t>(parts.size()) < max_split) {
    check_part_count(parts.size() + 2, max_value_bytes);
    if (end < separator.size()) break;
    size_t found = text.rfind(separator, end - separator.size());
    if (found == std::string::npos) break;
    parts.push_back(text.substr(found + separator.size(), end - found - separator.size()));
    end = found;
  }
  parts.push_back(text.substr(0, end));
  std::reverse(parts.begin(), parts.end());
  return parts;
}

Value string_list(const std::vector<std::string>& parts) {
  List list;
  for (const auto& part : parts) list.emplace_back(part);
  return Value(std::move(list));
}

std::string replace_all(const std::string& text, const std::string& old_text,
                        const std::string& new_text, int64_t count, size_t max_value_bytes) {
  // The result's size first: each replacement adds new_text and removes old_text.
  int64_t replacements = 0;
  if (old_text.empty()) {
    replacements = static_cast<int64_t>(unicode::length(text)) + 1;
  } else {
    for (size_t at = text.find(old_text); at != std::string::npos;
         at = text.find(old_text, at + old_text.size()))
      ++replacements;
  }
  if (count >= 0) replacements = std::min(replacements, count);
  const auto times = static_cast<size_t>(replacements);
  const size_t kept = text.size() - times * old_text.size();
  if (times > 0 && new_text.size() > max_value_bytes / times) {
    fail("replace() would build more than the limit of " + std::to_string(max_value_bytes) +
         " bytes (max_value_bytes)");
  }
  check_value_bytes(kept + times * new_text.size(), max_value_bytes);
  std::string out;
  if (old_text.empty()) {
    // Python inserts the replacement around every character.
    auto chars = unicode::decode(text);
    int64_t done = 0;
    for (char32_t c : chars) {
      if (count < 0 || done < count) {
        out += new_text;
        ++done;
      }
      out += unicode::encode(c);
    }
    if (count < 0 || done < count) out += new_text;
    return out;
  }
  size_t start = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t found = text.find(old_text, start);
    if (found == std::string::npos) break;
    out.append(text, start, found - start);
    out += new_text;
    start = found + old_text.size();
    ++done;
  }
  out.append(text, start);
  return out;
}

// startswith/endswith accept a string or a tuple of strings.
bool affix_matches(const std::string& text, const Value& affix, bool at_start) {
  auto matches = [&](const std::string& candidate) {
    if (candidate.size() > text.size()) return false;
    return at_start
               ? text.compare(0, candidate.size(), candidate) == 0
               : text.compare(text.size() - candidate.size(), candidate.size(), candidate) == 0;
  };
  if (affix.is_string()) return matches(affix.as_string());
  if (affix.is_list()) {
    for (const auto& item : affix.as_list()) {
      if (item.is_string() && matches(item.as_string())) return true;
    }
    return false;
  }
  fail(std::string(at_start ? "startswith" : "endswith") +
       " first arg must be str or a tuple of str, not " + affix.type_name());
}

bool all_chars(const std::string& text, const std::function<bool(char32_t)>& predicate) {
  auto chars = unicode::decode(text);
  if (chars.empty()) return false;
  for (char32_t c : chars) {
    if (!predicate(c)) return false;
  }
  return true;
}

// str.format with positional "{}" / "{0}" and named "{name}" fields (no format specs).
std::string python_format(const std::string& pattern, const CallArgs& args,
                          size_t max_value_bytes) {
  std::string out;
  size_t next_auto = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '{' && i + 1 < pattern.size() && pattern[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < pattern.size() && pattern[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      size_t close = pattern.find('}', i);
      if (close == std::string::npos) fail("Single '{' encountered in format string");
      std::string field = pattern.substr(i + 1, close - i - 1);
      const Value* value = nullptr;
      if (field.empty()) {
        value = next_auto < args.positional.size() ? &args.positional[next_auto] : nullptr;
        ++next_auto;
      } else if (std::all_of(field.begin(), field.end(),
                             [](char d) { return d >= '0' && d <= '9'; })) {
        size_t index = 0;
        auto parsed = std::from_chars(field.data(), field.data() + field.size(), index);
        value = parsed.ec == std::errc() && index < args.positional.size() ? &args.positional[index]
                                                                           : nullptr;
      } else {
        value = args.find_named(field);
      }
      if (!value) fail("format string refers to a missing argument '{" + field + "}'");
      out += value->to_string(max_value_bytes);
      check_value_bytes(out.size(), max_value_bytes);
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<Value> string_method(const Value& receiver, const std::string& name) {
  const std::string text = receiver.as_string();
  auto strip_method = [&](bool left, bool right) {
    return make_method(name, [text, left, right](const CallArgs& args) {
      return Value(unicode::strip(text, optional_string(args, 0, "chars"), left, right));
    });
  };
  if (name == "strip") return strip_method(true, true);
  if (name == "lstrip") return strip_method(true, false);
  if (name == "rstrip") return strip_method(false, true);
  if (name == "upper")
    return make_method(name, [text](const CallArgs&) { return Value(unicode::upper(text)); });
  if (name == "lower")
    return make_method(name, [text](const CallArgs&) { return Value(unicode::lower(text)); });
  if (name == "title")
    return make_method(name, [text](const CallArgs&) { return Value(unicode::title(text)); });
  if (name == "capitalize") {
    return make_method(name, [text](const CallArgs&) { return Value(unicode::capitalize(text)); });
  }
  if (name == "split" || name == "rsplit") {
    bool from_right = name == "rsplit";
    return make_building_method(name, [text, from_right](const CallArgs& args,
                                                         size_t max_value_bytes) {
      const std::string* separator = optional_string(args, 0, "sep");
      int64_t max_split = optional_int(args, 1, "maxsplit", -1);
      if (!separator) {
        return string_list(split_whitespace(text, from_right ? -1 : max_split, max_value_bytes));
      }
      return string_list(from_right ? rsplit_on(text, *separator, max_split, max_value_bytes)
                                    : split_on(text, *separator, max_split, max_value_bytes));
    });
  }
  if (name == "splitlines") {
    return make_building_method(name, [text](const CallArgs&, size_t max_value_bytes) {
      size_t breaks = 0;
      for (char32_t c : unicode::decode(text)) breaks += unicode::is_line_break(c) ? 1 : 0;
      check_part_count(breaks + 1, max_value_bytes);
      return string_list(unicode::split_lines(text));
    });
  }
  if (name == "startswith" || name == "endswith") {
    bool at_start = name == "startswith";
    return make_method(name, [text, at_start, name](const CallArgs& args) {
      const Value* affix = argument(args, 0, "prefix");
      if (!affix) fail(name + "() takes at least 1 argument (0 given)");
      return Value(affix_matches(text, *affix, at_start));
    });
  }
  if (name == "replace") {
    return make_building_method(name, [text](const CallArgs& args, size_t max_value_bytes) {
      return Value(replace_all(text, required_string(args, 0, "old"),
                               required_string(args, 1, "new"), optional_int(args, 2, "count", -1),
                               max_value_bytes));
    });
  }
  if (name == "find" || name == "rfind" || name == "count") {
    return make_method(name, [text, name](const CallArgs& args) -> Value {
      const std::string& needle = required_string(args, 0, "sub");
      if (name == "count") {
        if (needle.empty()) return Value(static_cast<int64_t>(unicode::length(text) + 1));
        int64_t count = 0;
        for (size_t at = text.find(needle); at != std::string::npos;
             at = text.find(needle, at + needle.size()))
          ++count;
        return Value(count);
      }
      size_t at = name == "find" ? text.find(needle) : text.rfind(needle);
      if (at == std::string::npos) return Value(int64_t{-1});
      return Value(static_cast<int64_t>(unicode::length(std::string_view(text).substr(0, at))));
    });
  }
  if (name == "removeprefix" || name == "removesuffix") {
    bool prefix = name == "removeprefix";
    return make_method(name, [text, prefix](const CallArgs& args) {
      const std::string& affix = required_string(args, 0, prefix ? "prefix" : "suffix");
      if (affix_matches(text, Value(affix), prefix)) {
        return Value(prefix ? text.substr(affix.size())
                            : text.substr(0, text.size() - affix.size()));
      }
      return Value(text);
    });
  }
  if (name == "join") {
    return make_building_method(name, [text](const CallArgs& args, size_t max_value_bytes) {
      const Value* items = argument(args, 0, "iterable");
      if (!items) fail("join() takes exactly one argument (0 given)");
      std::string out;
      bool first = true;
      for (const auto& item : iterate(*items)) {
        if (!item.is_string())
          fail("sequence item: expected str instance, " + item.type_name() + " found");
        if (!first) out += text;
        first = false;
        out += item.as_string();
        check_value_bytes(out.size(), max_value_bytes);
      }
      return Value(std::move(out));
    });
  }
  if (name == "format") {
    return make_building_method(name, [text](const CallArgs& args, size_t max_value_bytes) {
      return Value(python_format(text, args, max_value_bytes));
    });
  }
  static const std::set<std::string> predicates = {"isdigit", "isalpha", "isalnum",
                                                   "isspace", "islower", "isupper"};
  if (predicates.count(name)) {
    return make_method(name, [text, name](const CallArgs&) {
      if (name == "isspace") return Value(all_chars(text, unicode::is_space));
      if (name == "isdigit")
        return Value(all_chars(text, [](char32_t c) { return c >= '0' && c <= '9'; }));
      if (name == "isalpha") {
        return Value(all_chars(text, [](char32_t c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c > 0x7f;
        }));
      }
      if (name == "isalnum") {
        return Value(all_chars(text, [](char32_t c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c > 0x7f;
        }));
      }
      bool lower = name == "islower";
      bool has_cased = false;
      std::string converted = lower ? unicode::lower(text) : unicode::upper(text);
      for (char32_t c : unicode::decode(text)) {
        if (unicode::lower(unicode::encode(c)) != unicode::upper(unicode::encode(c)))
          has_cased = true;
      }
      return Value(has_cased && converted == text);
    });
  }
  return std::nullopt;
}

std::optional<Value> dict_method(const Value& receiver, const std::string& name) {
  auto dict = receiver;  // shares the dict: methods see its current contents
  if (name == "items") {
    return make_method(name, [dict](const CallArgs&) {
      List pairs;
      for (const auto& [key, value] : dict.as_dict().entries())
        pairs.push_back(Value(List{Value(key), value}).mark_tuple());
      return Value(std::move(pairs));
    });
  }
  if (name == "keys") {
    return make_method(name, [dict](const CallArgs&) { return Value(iterate(dict)); });
  }
  if (name == "values") {
    return make_method(name, [dict](const CallArgs&) {
      List values;
      for (const auto& [key, value] : dict.as_dict().entries()) values.push_back(value);
      return Value(std::move(values));
    });
  }
  if (name == "get") {
    return make_method(name, [dict](const CallArgs& args) {
      const Value* key = argument(args, 0, "key");
      if (!key) fail("get expected at least 1 argument, got 0");
      const Value* fallback = argument(args, 1, "default");
      if (key->is_string()) {
        if (const auto* found = dict.as_dict().find(key->as_string())) return *found;
      }
      return fallback ? *fallback : Value(None{});
    });
  }
  if (name == "copy") {
    return make_method(
        name, [dict](const CallArgs&) { return Value(std::make_shared<Dict>(dict.as_dict())); });
  }
  static const std::set<std::string> mutators = {"pop", "popitem", "update", "setdefault", "clear"};
  if (mutators.count(name)) return unsafe_method(receiver, name);
  return std::nullopt;
}

std::optional<Value> list_method(const Value& receiver, const std::string& name) {
  auto list = receiver;
  if (name == "index" || name == "count") {
    return make_method(name, [list, name](const CallArgs& args) -> Value {
      const Value* needle = argument(args, 0, "value");
      if (!needle) fail(name + "() takes at least 1 argument (0 given)");
      int64_t count = 0;
      const auto& items = list.as_list();
      for (size_t i = 0; i < items.size(); ++i) {
        if (!equals(items[i], *needle)) continue;
        if (name == "index") return Value(static_cast<int64_t>(i));
        ++count;
      }
      if (name == "index") fail(needle->repr() + " is not in list");
      return Value(count);
    });
  }
  if (name == "copy")
    return make_method(name, [list](const CallArgs&) { return Value(List(list.as_list())); });
  static const std::set<std::string> mutators = {"append", "extend",  "insert", "pop",
                                                 "remove", "reverse", "sort",   "clear"};
  if (mutators.count(name)) return unsafe_method(receiver, name);
  return std::nullopt;
}

}  // namespace

std::optional<Value> bound_method(const Value& receiver, const std::string& name) {
  switch (receiver.kind()) {
    case Value::Kind::string:
      return string_method(receiver, name);
    case Value::Kind::dict:
      if (receiver.as_dict().kind() != Dict::Kind::plain) return std::nullopt;
      return dict_method(receiver, name);
    case Value::Kind::list:
      return list_method(receiver, name);
    default:
      return std::nullopt;
  }
}

}  // namespace weft::chat::jinja
