// Incremental SHA-256 through OpenSSL's EVP interface (libcrypto).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

struct evp_md_ctx_st;

namespace weft::store {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  void reset();
  // Lowercase hex of what was hashed so far; the hasher starts over afterwards.
  std::string hex_digest();

 private:
  evp_md_ctx_st* context_;
};

}  // namespace weft::store
