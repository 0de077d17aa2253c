#include "http/request_fields.hpp"

#include <cmath>

#include "http/api_error.hpp"

namespace weft::http {

using nlohmann::json;

json parse_json_body(const std::string& body) {
  json parsed;
  try {
    parsed = json::parse(body);
  } catch (const json::exception& error) {
    throw ApiException(
        {.status = 400,
         .message = std::string("the request body is not valid JSON: ") + error.what()});
  }
  if (!parsed.is_object()) {
    throw ApiException({.status = 400, .message = "the request body must be a JSON object"});
  }
  return parsed;
}

RequestFields::RequestFields(const json& object, std::string prefix)
    : object_(object), prefix_(std::move(prefix)) {}

bool RequestFields::has(const std::string& name) const {
  return raw(name) != nullptr;
}

const json* RequestFields::raw(const std::string& name) const {
  auto found = object_.find(name);
  if (found == object_.end() || found->is_null()) return nullptr;
  return &*found;
}

std::optional<std::string> RequestFields::string(const std::string& name) const {
  const json* value = raw(name);
  if (!value) return std::nullopt;
  if (!value->is_string()) throw field_error(qualified(name), "must be a string");
  return value->get<std::string>();
}

std::optional<bool> RequestFields::boolean(const std::string& name) const {
  const json* value = raw(name);
  if (!value) return std::nullopt;
  if (!value->is_boolean()) throw field_error(qualified(name), "must be true or false");
  return value->get<bool>();
}

std::optional<double> RequestFields::number(const std::string& name, double low,
                                            double high) const {
  const json* value = raw(name);
  if (!value) return std::nullopt;
  if (!value->is_number()) throw field_error(qualified(name), "must be a number");
  double number = value->get<double>();
  if (!std::isfinite(number) || number < low || number > high) {
    throw field_error(qualified(name), "must be between " + json(low).dump() + " and " +
                                           json(high).dump() + ", not " + value->dump());
  }
  return number;
}

std::optional<int64_t> RequestFields::integer(const std::string& name, int64_t low,
                                              int64_t high) const {
  const json* value = raw(name);
  if (!value) return std::nullopt;
  // 3.0 is accepted as 3: JavaScript clients cannot tell the two apart.
  bool whole = value->is_number_integer() ||
               (value->is_number_float() && std::isfinite(value->get<double>()) &&
                std::floor(value->get<double>()) == value->get<double>());
  if (!whole) throw field_error(qualified(name), "must be an integer");
  if (value->is_number_unsigned() && value->get<uint64_t>() > static_cast<uint64_t>(high)) {
    throw field_error(qualified(name), "must be at most " + std::to_string(high));
  }
  double as_double = value->get<double>();
  if (as_double < static_cast<double>(low) || as_double > static_cast<double>(high)) {
    throw field_error(qualified(name), "must be between " + std::to_string(low) + " and " +
                                           std::to_string(high) + ", not " + value->dump());
  }
  return value->is_number_integer() ? value->get<int64_t>() : static_cast<int64_t>(as_double);
}

const json* RequestFields::object(const std::string& name) const {
  const json* value = raw(name);
  if (value && !value->is_object()) throw field_error(qualified(name), "must be an object");
  return value;
}

const json* RequestFields::array(const std::string& name) const {
  const json* value = raw(name);
  if (value && !value->is_array()) throw field_error(qualified(name), "must be an array");
  return value;
}

std::vector<std::string> RequestFields::strings(const std::string& name) const {
  const json* value = raw(name);
  if (!value) return {};
  if (value->is_string()) return {value->get<std::string>()};
  if (!value->is_array()) {
    throw field_error(qualified(name), "must be a string or an array of strings");
  }
  std::vector<std::string> out;
  for (const auto& item : *value) {
    if (!item.is_string()) {
      throw field_error(qualified(name), "must be a string or an array of strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace weft::http
