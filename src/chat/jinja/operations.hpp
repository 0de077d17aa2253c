// Python semantics of the operators, attribute and item access, iteration and slicing that
// templates use, with Jinja2's rules for undefined values and its sandbox's restrictions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chat/jinja/value.hpp"

namespace weft::chat::jinja {

// Raises the error for using an undefined value ("'x' is undefined").
[[noreturn]] void fail_undefined(const Value& value);

// obj.name: Python attributes (methods) first, then the item, as Jinja2's getattr does.
Value get_attribute(const Value& object, const std::string& name);
// obj[key]: the item first, then for string keys the attribute, as Jinja2's getitem does.
Value get_item(const Value& object, const Value& key);
// obj[start:stop:step]; null parts are omitted.
Value get_slice(const Value& object, const Value* start, const Value* stop, const Value* step);

// The items `for x in value` visits: list items, dict keys, string characters, nothing for
// undefined. Raises for values that are not iterable.
// A string gives one value per character: refused when they would exceed `max_value_bytes`.
std::vector<Value> iterate(const Value& value, size_t max_value_bytes = kDefaultMaxValueBytes);
// len(value); undefined has length 0.
int64_t length_of(const Value& value);

// + - * / // % ** ~. A string or list result larger than `max_value_bytes` (value_bytes) is
// refused before it is built.
Value binary_operation(const std::string& op, const Value& left, const Value& right,
                       size_t max_value_bytes);
// markupsafe's escape: & < > " ' as entities.
std::string html_escape(const std::string& text);
Value negate(const Value& value);
// == != < > <= >= in, "not in".
bool compare(const std::string& op, const Value& left, const Value& right);
bool contains(const Value& container, const Value& item);
// Python's < for numbers, strings and lists; raises for other types.
bool less_than(const Value& left, const Value& right);

// String, dict and list methods reachable as attributes (s.strip, d.items…); nullopt if
// `receiver` has no method of that name.
std::optional<Value> bound_method(const Value& receiver, const std::string& name);

// The n-th positional argument, or the named one, or nullptr.
const Value* argument(const CallArgs& args, size_t index, const std::string& name);

}  // namespace weft::chat::jinja
