// A fake Hugging Face and a fake Ollama registry in one in-process HTTP server (cpp-httplib on
// 127.0.0.1), serving real GGUF files, for the tests of `weft pull` and the store. What the
// server does wrong on purpose (cut a transfer, ignore ranges, lie about a digest, demand a
// token) is set per test; what clients asked is recorded.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/fake_http_server.hpp"

namespace weft::test {

// sha256 by an independent tool (coreutils' sha256sum), never by the code under test.
inline std::string sha256sum(const std::filesystem::path& file) {
  const std::string command = "sha256sum '" + file.string() + "'";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return "";
  char hex[65] = {};
  const size_t got = std::fread(hex, 1, 64, pipe);
  ::pclose(pipe);
  return got == 64 ? std::string(hex, 64) : "";
}

inline std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class FakeModelSources {
 public:
  struct Behaviour {
    size_t cut_after = 0;        // > 0: a blob response closes after this many bytes
    bool ignore_ranges = false;  // answer 200 with the whole file to a Range request
    bool wrong_digest = false;   // advertise a sha256 the file does not have
    std::string required_token;  // non-empty: 401 without "Authorization: Bearer TOKEN"
  };

  // `files`: name → GGUF path, served as Hugging Face repository ORG/REPO's files and as the
  // Ollama model library/NAME:latest (NAME = the file name without ".gguf").
  FakeModelSources(std::string org, std::string repo,
                   std::map<std::string, std::filesystem::path> files)
      : org_(std::move(org)), repo_(std::move(repo)), files_(std::move(files)) {
    auto& routes = server_.routes();
    // A server that ignores Range headers: cpp-httplib applies a request's parsed ranges to
    // any response (206) after the handler, so they are dropped before routing. The header
    // itself stays for the record of what the client asked.
    routes.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response&) {
      if (current().ignore_ranges) const_cast<httplib::Request&>(request).ranges.clear();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    routes.Get(R"(/api/models/([^/]+)/([^/]+)/tree/main)",
               [this](const httplib::Request& request, httplib::Response& response) {
                 if (!authorised(request, response)) return;
                 if (request.matches[1] != org_ || request.matches[2] != repo_) {
                   response.status = 404;
                   response.set_content(R"({"error":"Repository not found"})", "application/json");
                   return;
                 }
                 response.set_content(tree().dump(), "application/json");
               });
    // resolve/main redirects to the "CDN", as huggingface.co does.
    routes.Get(R"(/([^/]+)/([^/]+)/resolve/main/(.+))",
               [this](const httplib::Request& request, httplib::Response& response) {
                 if (!authorised(request, response)) return;
                 if (request.matches[1] != org_ || request.matches[2] != repo_ ||
                     !files_.count(request.matches[3])) {
                   response.status = 404;
                   return;
                 }
                 response.set_redirect("/cdn/" + std::string(request.matches[3]), 302);
               });
    routes.Get(R"(/cdn/(.+))",
               [this](const httplib::Request& request, httplib::Response& response) {
                 serve_blob(request, response, files_.at(request.matches[1]));
               });
    routes.Get(R"(/v2/library/([^/]+)/manifests/([^/]+))", [this](const httplib::Request& request,
                                                                  httplib::Response& response) {
      const auto file = files_.find(std::string(request.matches[1]) + ".gguf");
      if (file == files_.end() || request.matches[2] != "latest") {
        response.status = 404;
        response.set_content(R"({"errors":[{"code":"MANIFEST_UNKNOWN"}]})", "application/json");
        return;
      }
      {
        std::lock_guard lock(mutex_);
        accept_headers_.push_back(request.get_header_value("Accept"));
      }
      response.set_content(ollama_manifest(file->second).dump(),
                           "application/vnd.docker.distribution.manifest.v2+json");
    });
    routes.Get(R"(/v2/library/([^/]+)/blobs/sha256:([0-9a-f]{64}))",
               [this](const httplib::Request& request, httplib::Response& response) {
                 for (const auto& [name, path] : files_) {
                   if (advertised(path) == request.matches[2])
                     return serve_blob(request, response, path);
                 }
                 response.status = 404;
               });
    server_.start();
  }

  std::string url() const { return server_.base_url(); }
  // Changes what the server does wrong, under its lock (handlers run on server threads).
  template <typename Change>
  void change(Change&& apply) {
    std::lock_guard lock(mutex_);
    apply(behaviour_);
  }
  // The Range headers of blob requests, in order ("" for none).
  std::vector<std::string> ranges() const {
    std::lock_guard lock(mutex_);
    return ranges_;
  }
  std::vector<std::string> accept_headers() const {
    std::lock_guard lock(mutex_);
    return accept_headers_;
  }
  int blob_requests() const { return blob_requests_; }

  std::string digest_of(const std::filesystem::path& path) {
    std::lock_guard lock(mutex_);
    auto& digest = digests_[path.string()];
    if (digest.empty()) digest = sha256sum(path);
    return digest;
  }

 private:
  Behaviour current() const {
    std::lock_guard lock(mutex_);
    return behaviour_;
  }

  std::string advertised(const std::filesystem::path& path) {
    std::string digest = digest_of(path);
    if (current().wrong_digest) digest = std::string(64, 'a');
    return digest;
  }

  nlohmann::json tree() {
    nlohmann::json list = nlohmann::json::array();
    list.push_back({{"type", "file"}, {"path", "README.md"}, {"size", 10}, {"oid", "abc"}});
    for (const auto& [name, path] : files_) {
      const auto size = std::filesystem::file_size(path);
      list.push_back({{"type", "file"},
                      {"path", name},
                      {"size", size},
                      {"lfs", {{"oid", advertised(path)}, {"size", size}, {"pointerSize", 134}}}});
    }
    return list;
  }

  nlohmann::json ollama_manifest(const std::filesystem::path& path) {
    return {{"schemaVersion", 2},
            {"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
            {"config",
             {{"mediaType", "application/vnd.docker.container.image.v1+json"},
              {"digest", "sha256:" + std::string(64, 'c')},
              {"size", 10}}},
            {"layers",
             {{{"mediaType", "application/vnd.ollama.image.model"},
               {"digest", "sha256:" + advertised(path)},
               {"size", std::filesystem::file_size(path)}},
              {{"mediaType", "application/vnd.ollama.image.template"},
               {"digest", "sha256:" + std::string(64, 'b')},
               {"size", 20}}}}};
  }

  bool authorised(const httplib::Request& request, httplib::Response& response) {
    const std::string token = current().required_token;
    if (token.empty() || request.get_header_value("Authorization") == "Bearer " + token) {
      return true;
    }
    response.status = 401;
    response.set_content(R"({"error":"Invalid credentials"})", "application/json");
    return false;
  }

  void serve_blob(const httplib::Request& request, httplib::Response& response,
                  const std::filesystem::path& path) {
    {
      std::lock_guard lock(mutex_);
      ranges_.push_back(request.get_header_value("Range"));
    }
    ++blob_requests_;
    auto bytes = std::make_shared<std::string>(read_bytes(path));
    const size_t cut = current().cut_after;
    response.set_content_provider(
        bytes->size(), "application/octet-stream",
        [bytes, cut](size_t offset, size_t length, httplib::DataSink& sink) {
          size_t n = std::min<size_t>(length, 65536);
          if (cut > 0) {
            if (offset >= cut) return false;  // closes the connection mid-body
            n = std::min(n, cut - offset);
          }
          sink.write(bytes->data() + offset, n);
          return true;
        });
  }

  std::string org_, repo_;
  std::map<std::string, std::filesystem::path> files_;
  Behaviour behaviour_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> digests_;
  std::vector<std::string> ranges_;
  std::vector<std::string> accept_headers_;
  std::atomic<int> blob_requests_{0};
  FakeHttpServer server_;
};

}  // namespace weft::test
