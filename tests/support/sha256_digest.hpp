// The SHA-256 of bytes made in a test (a regenerated model file), to check them against the
// digest recorded beside the references made from that file.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace weft::test {

// Lowercase hex, as sha256sum prints it.
std::string sha256_hex(std::span<const std::byte> bytes);

}  // namespace weft::test
