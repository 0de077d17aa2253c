#include "http/output_format.hpp"

#include "grammar/json_schema.hpp"
#include "http/api_error.hpp"
#include "weft/error.hpp"

namespace weft::http {

void apply_output_format(const OutputFormat& format, const std::string& field,
                         GenerationOptions& options) {
  switch (format.kind) {
    case OutputFormat::Kind::text:
      return;
    case OutputFormat::Kind::json_object:
      options.grammar = std::string(grammar::free_form_json_gbnf());
      return;
    case OutputFormat::Kind::json_schema:
      try {
        options.grammar = grammar::json_schema_to_gbnf(format.schema);
      } catch (const Error& error) {
        throw field_error(field,
                          std::string("holds a schema weft cannot enforce: ") + error.what());
      }
      return;
  }
}

void read_schema_in_order(OutputFormat& format, const std::string& body,
                          const std::string& pointer) {
  if (format.kind != OutputFormat::Kind::json_schema) return;
  auto ordered = nlohmann::ordered_json::parse(body, nullptr, false);
  const nlohmann::ordered_json::json_pointer at(pointer);
  if (!ordered.is_discarded() && ordered.contains(at)) format.schema = ordered.at(at);
}

}  // namespace weft::http
