// The HTTP client of `weft pull` (libcurl): small GETs for manifests and file lists, and blob
// downloads that stream into DEST.partial while hashing (OpenSSL's SHA-256), resume with a
// Range request, check the digest and size, and rename into place atomically.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace weft::store {

struct HttpReply {
  long status = 0;
  std::string body;
};

// Follows redirects. Throws weft::Error(backend_unavailable) when no answer came (naming
// the URL and curl's reason); any HTTP status is returned. At most `limit` body bytes.
HttpReply http_get(const std::string& url, const std::vector<std::string>& headers,
                   size_t limit = 16 << 20);

struct BlobDownload {
  std::string url;
  std::vector<std::string> headers;  // e.g. "Authorization: Bearer …"
  std::string destination;           // the blob's final path; DEST.partial while downloading
  std::string sha256_hex;            // expected digest (lowercase hex)
  uint64_t size = 0;                 // expected size (0 = unknown)
  std::string label;                 // shown by the progress meter
  std::FILE* progress = nullptr;     // where progress goes (null: nowhere)
  // Turns a refused status (401, 404, …) into the message to throw.
  std::function<std::string(long status)> explain_status;
};

struct DownloadOutcome {
  uint64_t resumed_from = 0;  // bytes of an earlier partial file kept (0: from the start)
  uint64_t downloaded = 0;    // bytes fetched by this call
};

// Throws weft::Error: an HTTP status other than 200/206 (explain_status's message; the
// partial file is kept), an interrupted transfer (partial kept for the next try), or a size
// or digest mismatch (the partial file removed, nothing left behind).
DownloadOutcome download_blob(const BlobDownload& request);

// Hex SHA-256 of a whole file (OpenSSL EVP).
std::string sha256_of_file(const std::string& path);

}  // namespace weft::store
