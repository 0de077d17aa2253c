// allOf, and anyOf/oneOf next to other keywords, as one schema: the conjunction of object
// (and simple) schemas written as a single schema, or an error naming what cannot be merged.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weft::grammar::schema {

// Resolves a schema that is only a `$ref` to its target (others are returned as they are).
using RefResolver =
    std::function<const nlohmann::ordered_json&(const nlohmann::ordered_json&, const std::string&)>;

// The conjunction of `parts` (each a schema object or boolean) as one schema; `pointer`
// names the place in the schema for messages. Throws weft::Error when a keyword appears in
// more than one part with values that cannot be combined.
nlohmann::ordered_json merge_schemas(const std::vector<nlohmann::ordered_json>& parts,
                                     const std::string& pointer, const RefResolver& resolve);

// Whether a keyword says nothing about which instances are valid.
bool is_annotation(const std::string& keyword);

}  // namespace weft::grammar::schema
