#include "store/http_download.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "store/progress_meter.hpp"
#include "store/sha256.hpp"
#include "weft/error.hpp"

namespace weft::store {
namespace {

constexpr long kConnectTimeoutSeconds = 30;
// A transfer that moves less than a byte a second for this long is given up (and resumable).
constexpr long kStallSeconds = 60;
constexpr size_t kReadChunk = 1 << 20;

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

CurlHandle make_handle(const std::string& url, const std::vector<std::string>& headers,
                       HeaderList& list) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  CurlHandle curl(initialised ? curl_easy_init() : nullptr);
  if (!curl) throw Error(ErrorCode::internal, "libcurl could not start");
  for (const auto& header : headers) list.reset(curl_slist_append(list.release(), header.c_str()));
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, kStallSeconds);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "weft");
  return curl;
}

struct TextSink {
  std::string body;
  size_t limit;
};

size_t collect_text(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<TextSink*>(user);
  const size_t bytes = size * count;
  if (sink->body.size() + bytes > sink->limit) return 0;
  sink->body.append(data, bytes);
  return bytes;
}

// One download's state, shared with libcurl's callbacks.
struct Transfer {
  int fd = -1;
  uint64_t resumed_from = 0;  // bytes already in the partial file when the request went out
  uint64_t written = 0;       // bytes in the partial file now
  uint64_t downloaded = 0;
  uint64_t total = 0;
  bool decided = false;  // the answer's status was looked at
  long status = 0;
  bool range_refused = false;  // a 206 for some other range
  std::string content_range;
  CURL* curl = nullptr;
  Sha256* hash = nullptr;
  ProgressMeter* meter = nullptr;
  bool write_failed = false;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) transfer->content_range.clear();  // a new response
  if (line.size() > 14 && strncasecmp(line.c_str(), "content-range:", 14) == 0) {
    transfer->content_range = line.substr(14);
    const auto start = transfer->content_range.find_first_not_of(' ');
    transfer->content_range.erase(0, start == std::string::npos ? 0 : start);
  }
  return size * count;
}

// Looks at the final response's status once, before its first body byte is kept: a 200 to a
// Range request means the server sent the whole file, so the partial one starts over.
bool accept_status(Transfer& transfer) {
  transfer.decided = true;
  curl_easy_getinfo(transfer.curl, CURLINFO_RESPONSE_CODE, &transfer.status);
  if (transfer.status == 206 && transfer.resumed_from > 0) {
    const std::string expected = "bytes " + std::to_string(transfer.resumed_from) + "-";
    if (transfer.content_range.rfind(expected, 0) != 0) {
      transfer.range_refused = true;
      return false;
    }
    return true;
  }
  if (transfer.status != 200) return false;
  if (transfer.resumed_from > 0) {
    if (::ftruncate(transfer.fd, 0) != 0 || ::lseek(transfer.fd, 0, SEEK_SET) < 0) return false;
    transfer.hash->reset();
    transfer.resumed_from = transfer.written = 0;
  }
  return true;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (!transfer->decided && !accept_status(*transfer)) return 0;
  size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::write(transfer->fd, data + done, bytes - done);
    if (n <= 0) {
      transfer->write_failed = true;
      return 0;
    }
    done += static_cast<size_t>(n);
  }
  transfer->hash->update(data, bytes);
  transfer->written += bytes;
  transfer->downloaded += bytes;
  transfer->meter->update(transfer->written, transfer->total, transfer->resumed_from);
  return bytes;
}

// The bytes of a partial file from an earlier try go through the hash first.
void hash_existing(int fd, uint64_t bytes, Sha256& hash, const std::string& path) {
  std::string buffer(kReadChunk, '\0');
  uint64_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::pread(fd, buffer.data(), buffer.size(), static_cast<off_t>(done));
    if (n <= 0) throw Error(ErrorCode::internal, "cannot read " + path);
    hash.update(buffer.data(), static_cast<size_t>(n));
    done += static_cast<uint64_t>(n);
  }
}

class PartialFile {
 public:
  explicit PartialFile(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw Error(ErrorCode::internal, "cannot open " + path + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw Error(ErrorCode::invalid_request,
                  "another weft pull is downloading " + path + " now; wait for it to finish");
    }
  }
  ~PartialFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;
  int fd() const { return fd_; }
  uint64_t size() const {
    struct stat info {};
    return ::fstat(fd_, &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
  }
  // Removes the file while still holding the lock, so no one appends to a doomed file.
  void discard() { ::unlink(path_.c_str()); }

 private:
  std::string path_;
  int fd_ = -1;
};

std::string progress_of(const Transfer& transfer) {
  return human_bytes(transfer.written) +
         (transfer.total ? " of " + human_bytes(transfer.total) : std::string());
}

}  // namespace

HttpReply http_get(const std::string& url, const std::vector<std::string>& headers, size_t limit) {
  HeaderList list;
  auto curl = make_handle(url, headers, list);
  TextSink sink{{}, limit};
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect_text);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    throw Error(ErrorCode::backend_unavailable,
                "cannot reach " + url + ": " + curl_easy_strerror(code));
  }
  HttpReply reply;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply.status);
  reply.body = std::move(sink.body);
  return reply;
}

DownloadOutcome download_blob(const BlobDownload& request) {
  const std::string partial_path = request.destination + ".partial";
  PartialFile partial(partial_path);
  Sha256 hash;
  Transfer transfer;
  transfer.fd = partial.fd();
  transfer.total = request.size;
  transfer.hash = &hash;
  uint64_t existing = partial.size();
  if (request.size > 0 && existing > request.size) {
    if (::ftruncate(partial.fd(), 0) != 0)
      throw Error(ErrorCode::internal, "cannot truncate " + partial_path);
    existing = 0;
  }
  hash_existing(partial.fd(), existing, hash, partial_path);
  ::lseek(partial.fd(), static_cast<off_t>(existing), SEEK_SET);
  transfer.resumed_from = transfer.written = existing;

  ProgressMeter meter(request.progress, request.label);
  transfer.meter = &meter;
  const bool complete_already = request.size > 0 && existing == request.size;
  if (!complete_already) {
    HeaderList list;
    auto curl = make_handle(request.url, request.headers, list);
    transfer.curl = curl.get();
    const std::string range = std::to_string(existing) + "-";
    if (existing > 0) curl_easy_setopt(curl.get(), CURLOPT_RANGE, range.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &transfer);
    const CURLcode code = curl_easy_perform(curl.get());
    if (!transfer.decided) accept_status(transfer);  // an empty body
    if (transfer.range_refused) {
      throw Error(ErrorCode::backend_unavailable,
                  request.url + " answered the range request from byte " +
                      std::to_string(existing) + " with another range (" + transfer.content_range +
                      "); run the pull again");
    }
    if (transfer.status != 200 && transfer.status != 206) {
      throw Error(ErrorCode::invalid_request,
                  request.explain_status
                      ? request.explain_status(transfer.status)
                      : request.url + " answered HTTP " + std::to_string(transfer.status));
    }
    if (transfer.write_failed) {
      throw Error(ErrorCode::internal,
                  "cannot write " + partial_path + ": " + std::strerror(errno));
    }
    if (code != CURLE_OK) {
      throw Error(ErrorCode::backend_unavailable,
                  "the download of " + request.url + " stopped after " + progress_of(transfer) +
                      " (" + curl_easy_strerror(code) +
                      "); run the same command again to resume from there");
    }
  }
  meter.finish(transfer.written, transfer.total, transfer.resumed_from);

  const std::string digest = hash.hex_digest();
  if ((request.size > 0 && transfer.written != request.size) || digest != request.sha256_hex) {
    partial.discard();
    throw Error(ErrorCode::invalid_request,
                "refused the download of " + request.url + ": expected sha256 " +
                    request.sha256_hex + " (" + std::to_string(request.size) +
                    " bytes), got sha256 " + digest + " (" + std::to_string(transfer.written) +
                    " bytes); nothing was kept");
  }
  if (::fsync(partial.fd()) != 0 ||
      ::rename(partial_path.c_str(), request.destination.c_str()) != 0) {
    throw Error(ErrorCode::internal,
                "cannot move " + partial_path + " into place: " + std::strerror(errno));
  }
  return {transfer.resumed_from, transfer.downloaded};
}

std::string sha256_of_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorCode::invalid_request, "cannot open " + path);
  Sha256 hash;
  struct stat info {};
  ::fstat(fd, &info);
  try {
    hash_existing(fd, static_cast<uint64_t>(info.st_size), hash, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return hash.hex_digest();
}

}  // namespace weft::store
