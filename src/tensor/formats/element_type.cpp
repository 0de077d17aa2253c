#include "tensor/formats/element_type.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include "tensor/formats/format_traits.hpp"

namespace weft::tensor {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

// Names, block sizes and bytes are the format table's (tensor/formats/format_traits.cpp).
std::optional<TypeTraits> traits_of(uint32_t raw_type) {
  const FormatTraits* row = find_format(raw_type);
  if (row == nullptr) return std::nullopt;
  return row->traits;
}

TypeTraits traits_of(ElementType type) {
  return format_traits(type).traits;
}

std::optional<ElementType> parse_element_type(std::string_view name) {
  for (const FormatTraits& row : format_table()) {
    if (equal_ignoring_case(row.traits.name, name)) return row.traits.type;
  }
  return std::nullopt;
}

std::optional<uint64_t> bytes_for(ElementType type, uint64_t elements) {
  auto traits = traits_of(type);
  if (elements % traits.block_size != 0) return std::nullopt;
  uint64_t blocks = elements / traits.block_size;
  if (blocks > std::numeric_limits<uint64_t>::max() / traits.block_bytes) return std::nullopt;
  return blocks * traits.block_bytes;
}

}  // namespace weft::tensor
