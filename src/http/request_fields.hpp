// Reads the fields of a JSON request body with their types checked where they enter: a field
// of the wrong type or out of range is a 400 naming it; null counts as absent (the official
// clients send null for options left unset); unknown fields are ignored.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace weft::http {

// The body as a JSON object, else a 400 saying why.
nlohmann::json parse_json_body(const std::string& body);

class RequestFields {
 public:
  // `prefix` names nested objects in errors ("options.temperature").
  RequestFields(const nlohmann::json& object, std::string prefix = "");

  bool has(const std::string& name) const;
  const nlohmann::json* raw(const std::string& name) const;  // nullptr when absent or null

  std::optional<std::string> string(const std::string& name) const;
  std::optional<bool> boolean(const std::string& name) const;
  std::optional<double> number(const std::string& name, double low, double high) const;
  std::optional<int64_t> integer(const std::string& name, int64_t low, int64_t high) const;
  const nlohmann::json* object(const std::string& name) const;
  const nlohmann::json* array(const std::string& name) const;
  // A string or an array of strings (OpenAI `stop`, Ollama `stop`).
  std::vector<std::string> strings(const std::string& name) const;

  std::string qualified(const std::string& name) const { return prefix_ + name; }

 private:
  const nlohmann::json& object_;
  std::string prefix_;
};

}  // namespace weft::http
