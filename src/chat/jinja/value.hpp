// The values a Jinja template computes with. They follow Python's data model closely enough
// that templates written for Jinja2 behave the same: distinct undefined and none, reference
// semantics for lists/dicts/namespaces, insertion-ordered dicts, callables for macros and
// methods.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace weft::chat::jinja {

class Value;
class Interpreter;

// The largest string or list (see value_bytes) a rendering may build, unless RenderLimits
// says otherwise; also what bounds a repr or JSON text built without a limit at hand.
inline constexpr size_t kDefaultMaxValueBytes = size_t{64} << 20;

// An undefined value remembers why it is undefined, for the error raised when it is used.
struct Undefined {
  std::string hint;  // e.g. "'foo' is undefined"
};
struct None {};

using List = std::vector<Value>;
class Dict;
struct CallArgs;
struct Callable;

class Value {
 public:
  enum class Kind { undefined, none, boolean, integer, floating, string, list, dict, callable };

  Value() : data_(Undefined{}) {}
  Value(Undefined u) : data_(std::move(u)) {}
  Value(None) : data_(None{}) {}
  Value(bool b) : data_(b) {}
  Value(int64_t i) : data_(i) {}
  Value(int i) : data_(static_cast<int64_t>(i)) {}
  Value(double d) : data_(d) {}
  Value(std::string s) : data_(std::move(s)) {}
  Value(const char* s) : data_(std::string(s)) {}
  Value(List list) : data_(std::make_shared<List>(std::move(list))) {}
  Value(std::shared_ptr<List> list) : data_(std::move(list)) {}
  Value(std::shared_ptr<Dict> dict) : data_(std::move(dict)) {}
  Value(std::shared_ptr<Callable> callable) : data_(std::move(callable)) {}

  static Value undefined(std::string hint) { return Value(Undefined{std::move(hint)}); }
  static Value from_json(const nlohmann::ordered_json& json);

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_undefined() const { return kind() == Kind::undefined; }
  bool is_none() const { return kind() == Kind::none; }
  bool is_bool() const { return kind() == Kind::boolean; }
  bool is_int() const { return kind() == Kind::integer; }
  bool is_float() const { return kind() == Kind::floating; }
  // Python's numbers.Number: bool counts, as in Jinja's `number` test.
  bool is_number() const { return is_bool() || is_int() || is_float(); }
  bool is_string() const { return kind() == Kind::string; }
  bool is_list() const { return kind() == Kind::list; }
  bool is_dict() const { return kind() == Kind::dict; }
  bool is_callable() const { return kind() == Kind::callable; }

  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }
  double as_float() const { return std::get<double>(data_); }
  // Numeric value of a bool, int or float.
  double as_double() const;
  const std::string& as_string() const { return std::get<std::string>(data_); }
  List& as_list() const { return *std::get<std::shared_ptr<List>>(data_); }
  Dict& as_dict() const { return *std::get<std::shared_ptr<Dict>>(data_); }
  const Callable& as_callable() const { return *std::get<std::shared_ptr<Callable>>(data_); }
  const std::string& undefined_hint() const { return std::get<Undefined>(data_).hint; }

  // Markup (a string marked safe by |safe or |escape): `+` HTML-escapes the other operand,
  // as markupsafe does. Without autoescaping nothing else treats it differently.
  bool is_safe() const { return flag_ == Flag::safe; }
  Value& mark_safe() {
    if (is_string()) flag_ = Flag::safe;
    return *this;
  }
  // A list that came from a tuple: only its repr differs ("(1, 2)").
  bool is_tuple() const { return flag_ == Flag::tuple; }
  Value& mark_tuple() {
    if (is_list()) flag_ = Flag::tuple;
    return *this;
  }

  // Python truthiness.
  bool truthy() const;
  // Python str(): strings as is, containers as their repr, undefined as "".
  // Raises when the text would exceed `max_bytes` (lists sharing items can spell out to far
  // more than they hold).
  std::string to_string(size_t max_bytes = kDefaultMaxValueBytes) const;
  // Python repr(); raises beyond `max_bytes` as to_string does.
  std::string repr(size_t max_bytes = kDefaultMaxValueBytes) const;
  // Python's type name, for error messages ("str", "dict", "NoneType"…).
  std::string type_name() const;

 private:
  std::variant<Undefined, None, bool, int64_t, double, std::string, std::shared_ptr<List>,
               std::shared_ptr<Dict>, std::shared_ptr<Callable>>
      data_;
  enum class Flag : uint8_t { none, safe, tuple };
  Flag flag_ = Flag::none;
};

// Python dict with string keys, kept in insertion order. A namespace() object and the loop
// variable are dicts flagged so that attribute access reads their keys, not dict methods.
class Dict {
 public:
  enum class Kind { plain, namespace_object, loop_object };

  explicit Dict(Kind kind = Kind::plain) : kind_(kind) {}
  Kind kind() const { return kind_; }

  const Value* find(const std::string& key) const;
  Value* find(const std::string& key);
  void set(const std::string& key, Value value);
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

 private:
  Kind kind_;
  std::vector<std::pair<std::string, Value>> entries_;
};

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> named;

  const Value* find_named(const std::string& name) const;
};

// A macro, a global function or a bound method.
struct Callable {
  std::string name;
  std::function<Value(const CallArgs&, Interpreter&)> call;
};

// Python ==.
bool equals(const Value& a, const Value& b);

// Python's repr of a float ("1.0", "0.1", "1e+16").
std::string format_python_float(double value);

// json.dumps(value, ensure_ascii=False, indent=indent) with Python's separators; raises when
// the text would exceed `max_bytes`.
std::string to_python_json(const Value& value, std::optional<int> indent,
                           size_t max_bytes = kDefaultMaxValueBytes);

// The memory a value holds by itself: a string's bytes; for a list or dict, a Value per item
// plus the bytes of its string items and keys (nested lists and dicts are shared, not copied).
size_t value_bytes(const Value& value);
// Raises "… exceeds the limit of N bytes (max_value_bytes)" when `bytes` > `max_bytes`.
void check_value_bytes(size_t bytes, size_t max_bytes);

}  // namespace weft::chat::jinja
