#include "http/output_format.hpp"

#include "http/api_error.hpp"

namespace weft::http {

void apply_output_format(const OutputFormat& format, const std::string& field, GenerationOptions&) {
  if (format.kind == OutputFormat::Kind::text) return;
  // Never ignored silently: until the JSON-schema grammar converter is in, say so.
  throw ApiException({.status = 400,
                      .message = field + " is not supported yet",
                      .param = field,
                      .code = "unsupported_parameter"});
}

}  // namespace weft::http
