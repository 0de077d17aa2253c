#include "chat/jinja/builtins.hpp"

#include <ctime>
#include <memory>

#include "chat/jinja/error.hpp"
#include "chat/jinja/interpreter.hpp"
#include "chat/jinja/operations.hpp"

namespace weft::chat::jinja {
namespace {

// Jinja2's sandbox refuses larger ranges.
constexpr int64_t kMaxRange = 100000;

Value function(std::string name, std::function<Value(const CallArgs&, Interpreter&)> body) {
  auto callable = std::make_shared<Callable>();
  callable->name = std::move(name);
  callable->call = std::move(body);
  return Value(std::move(callable));
}

int64_t integer_argument(const Value& value, const char* what) {
  if (value.is_int()) return value.as_int();
  if (value.is_bool()) return value.as_bool() ? 1 : 0;
  fail(std::string("range() ") + what + " must be an integer, not " + value.type_name());
}

Value range(const CallArgs& args, Interpreter&) {
  const auto& p = args.positional;
  if (p.empty() || p.size() > 3)
    fail("range expected 1 to 3 arguments, got " + std::to_string(p.size()));
  int64_t start = p.size() == 1 ? 0 : integer_argument(p[0], "start");
  int64_t stop = integer_argument(p.size() == 1 ? p[0] : p[1], "stop");
  int64_t step = p.size() == 3 ? integer_argument(p[2], "step") : 1;
  if (step == 0) fail("range() arg 3 must not be zero");
  int64_t count = step > 0 ? (stop - start + step - 1) / step : (start - stop - step - 1) / -step;
  if (count > kMaxRange) {
    fail("Range too big. The sandbox blocks ranges larger than MAX_RANGE (" +
         std::to_string(kMaxRange) + ").");
  }
  List out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.emplace_back(i);
  return Value(std::move(out));
}

// dict(**kwargs) and namespace(**kwargs) also accept one mapping as positional argument.
Value make_dict(const CallArgs& args, Dict::Kind kind) {
  auto dict = std::make_shared<Dict>(kind);
  for (const auto& initial : args.positional) {
    if (!initial.is_dict()) fail("expected a mapping, not " + initial.type_name());
    for (const auto& [key, value] : initial.as_dict().entries()) dict->set(key, value);
  }
  for (const auto& [key, value] : args.named) dict->set(key, value);
  return Value(std::move(dict));
}

Value raise_exception(const CallArgs& args, Interpreter&) {
  std::string message = args.positional.empty() ? "" : args.positional[0].to_string();
  throw TemplateError(TemplateError::Kind::raised, message);
}

Value strftime_now(const CallArgs& args, Interpreter& interpreter) {
  const Value* format = argument(args, 0, "format");
  if (!format || !format->is_string()) fail("strftime_now() needs a format string");
  if (format->as_string().empty()) return Value(std::string());
  std::string buffer(256 + format->as_string().size() * 8, '\0');
  std::tm now = interpreter.options().now;
  size_t written = std::strftime(buffer.data(), buffer.size(), format->as_string().c_str(), &now);
  buffer.resize(written);
  return Value(std::move(buffer));
}

Value joiner(const CallArgs& args, Interpreter&) {
  const Value* separator = argument(args, 0, "sep");
  std::string text = separator ? separator->to_string() : ", ";
  auto used = std::make_shared<bool>(false);
  return function("joiner", [text, used](const CallArgs&, Interpreter&) {
    if (!*used) {
      *used = true;
      return Value(std::string());
    }
    return Value(text);
  });
}

}  // namespace

std::vector<std::pair<std::string, Value>> builtin_globals() {
  std::vector<std::pair<std::string, Value>> globals;
  globals.emplace_back("range", function("range", range));
  globals.emplace_back("dict", function("dict", [](const CallArgs& args, Interpreter&) {
                         return make_dict(args, Dict::Kind::plain);
                       }));
  globals.emplace_back("namespace", function("namespace", [](const CallArgs& args, Interpreter&) {
                         return make_dict(args, Dict::Kind::namespace_object);
                       }));
  globals.emplace_back("joiner", function("joiner", joiner));
  globals.emplace_back("raise_exception", function("raise_exception", raise_exception));
  globals.emplace_back("strftime_now", function("strftime_now", strftime_now));
  return globals;
}

}  // namespace weft::chat::jinja
