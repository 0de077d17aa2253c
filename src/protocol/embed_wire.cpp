#include "protocol/embed_wire.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "protocol/json_fields.hpp"

namespace weft::protocol::embed {
namespace {

using nlohmann::json;

constexpr const char* kTasks[] = {"retrieval_query",   "retrieval_document",  "similarity",
                                  "classification",    "clustering",          "question_answering",
                                  "fact_verification", "code_retrieval_query"};

std::optional<std::string> read_fields(const json& value, Request& request) {
  const json* input = find_field(value, "input");
  if (!input || !input->is_array() || input->empty()) {
    return "'input' must be a non-empty array of strings";
  }
  for (size_t i = 0; i < input->size(); ++i) {
    const json& text = (*input)[i];
    if (!text.is_string() || text.get_ref<const std::string&>().empty()) {
      return "input[" + std::to_string(i) + "] must be a non-empty string";
    }
    request.inputs.push_back(text.get<std::string>());
  }
  if (const json* dimensions = find_field(value, "dimensions")) {
    if (!dimensions->is_number_unsigned() || dimensions->get<uint64_t>() == 0 ||
        dimensions->get<uint64_t>() > UINT32_MAX) {
      return "'dimensions' must be a positive integer, got " + dimensions->dump();
    }
    request.dimensions = static_cast<uint32_t>(dimensions->get<uint64_t>());
  }
  if (const json* task = find_field(value, "task")) {
    if (!task->is_string()) return std::string("'task' must be a string");
    bool known = false;
    for (const char* name : kTasks) known = known || *task == name;
    if (!known) return "'task' " + task->dump() + " is not a task the spec names";
    request.task = task->get<std::string>();
  }
  return std::nullopt;
}

std::string line_of(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace

std::variant<Request, Failure> decode_request(std::string_view line) {
  json value = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) {
    return Failure{"", "the request line is not a JSON object"};
  }
  Request request;
  if (const json* id = find_field(value, "id")) {
    if (!id->is_string()) return Failure{"", "'id' must be a string"};
    request.id = id->get<std::string>();
  }
  if (auto problem = read_fields(value, request)) return Failure{request.id, *problem};
  return request;
}

std::string encode_embeddings(const std::string& id, const std::vector<std::vector<float>>& vectors,
                              uint32_t dimensions, const std::string& model, uint32_t input_tokens,
                              const std::string& backend) {
  return line_of({{"type", "embeddings"},
                  {"id", id},
                  {"embeddings", vectors},
                  {"dimensions", dimensions},
                  {"model", model},
                  {"usage", {{"input_tokens", input_tokens}}},
                  {"backend", backend}});
}

std::string encode_error(const std::string& id, std::string_view code, std::string_view message) {
  return line_of({{"type", "error"}, {"id", id}, {"code", code}, {"message", message}});
}

void truncate_to_dimensions(std::vector<std::vector<float>>& vectors, uint32_t dimensions) {
  for (auto& vector : vectors) {
    if (vector.size() <= dimensions) continue;
    vector.resize(dimensions);
    double sum = 0.0;
    for (float value : vector) sum += static_cast<double>(value) * value;
    if (sum <= 0.0) continue;
    const auto scale = static_cast<float>(1.0 / std::sqrt(sum));
    for (float& value : vector) value *= scale;
  }
}

}  // namespace weft::protocol::embed
