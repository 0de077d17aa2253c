// TCP API-key check (PROTOCOLS §1): compared in constant time.
#pragma once

#include <string_view>

namespace weft::server {

// Takes time that depends only on the lengths, never on where the keys differ.
bool keys_match(std::string_view given, std::string_view expected);

}  // namespace weft::server
