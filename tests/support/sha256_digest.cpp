#include "support/sha256_digest.hpp"

#include "store/sha256.hpp"

namespace weft::test {

std::string sha256_hex(std::span<const std::byte> bytes) {
  store::Sha256 hasher;
  hasher.update(bytes.data(), bytes.size());
  return hasher.hex_digest();
}

}  // namespace weft::test
