// Facts read from ../shared/PROTOCOLS.md (the independent reference for the wire format),
// so tests never restate values that the code under test defines.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace weft::testing {

struct RequestFieldSpec {
  std::string type;
  std::string default_value;  // as written in the table ("" = none)
  std::string rule;
};

// The request table of §1, keyed by field name.
std::map<std::string, RequestFieldSpec> inferd_request_fields();
// The integers of the image_token_budget rule ("one of 70, 140, …").
std::vector<unsigned> image_token_budgets();

}  // namespace weft::testing
