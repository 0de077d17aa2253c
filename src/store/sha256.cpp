#include "store/sha256.hpp"

#include <openssl/evp.h>

#include "weft/error.hpp"

namespace weft::store {

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (!context_) throw Error(ErrorCode::internal, "OpenSSL could not allocate a SHA-256 context");
  reset();
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(context_);
}

void Sha256::reset() {
  if (EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorCode::internal, "OpenSSL could not start a SHA-256 digest");
  }
}

void Sha256::update(const void* data, size_t size) {
  if (EVP_DigestUpdate(context_, data, size) != 1) {
    throw Error(ErrorCode::internal, "OpenSSL SHA-256 update failed");
  }
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_, digest, &length) != 1) {
    throw Error(ErrorCode::internal, "OpenSSL SHA-256 final failed");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  reset();
  return hex;
}

}  // namespace weft::store
