#include "store/model_name.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>

namespace weft::store {
namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with_gguf(const std::string& text) {
  if (text.size() < 5) return false;
  std::string tail = text.substr(text.size() - 5);
  std::transform(tail.begin(), tail.end(), tail.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return tail == ".gguf";
}

// Letters, digits, '.', '_', '-', not starting with a dot or dash: no "..", no path tricks.
bool valid_component(const std::string& part) {
  if (part.empty() || part.size() > 128 || part[0] == '.' || part[0] == '-') return false;
  return std::all_of(part.begin(), part.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

// A registry host may carry a port ("127.0.0.1:5000").
bool valid_host(const std::string& host) {
  const auto colon = host.find(':');
  if (colon == std::string::npos) return valid_component(host);
  const std::string port = host.substr(colon + 1);
  return valid_component(host.substr(0, colon)) && !port.empty() && port.size() <= 5 &&
         std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// "repo:tag" → {"repo", "tag"}; no tag → "latest". False when the tag is empty or invalid.
bool split_tag(const std::string& last, std::string& name, std::string& tag) {
  const auto colon = last.find(':');
  name = last.substr(0, colon);
  tag = colon == std::string::npos ? kDefaultTag : last.substr(colon + 1);
  return valid_component(name) && valid_component(tag);
}

std::optional<ModelName> parse_hugging_face(const std::vector<std::string>& parts) {
  ModelName name;
  name.source = ModelSource::hugging_face;
  name.host = kHuggingFaceHost;
  if (parts.size() == 3 && ends_with_gguf(parts[2])) {  // hf.co/ORG/REPO/FILE.gguf form
    name.space = parts[0];
    name.repository = parts[1];
    name.file = parts[2];
    name.tag = parts[2];
    if (!valid_component(name.space) || !valid_component(name.repository) ||
        !valid_component(name.file)) {
      return std::nullopt;
    }
    return name;
  }
  if (parts.size() != 2 || !valid_component(parts[0])) return std::nullopt;
  name.space = parts[0];
  if (!split_tag(parts[1], name.repository, name.tag)) return std::nullopt;
  return name;
}

std::optional<ModelName> parse_ollama(const std::vector<std::string>& parts) {
  ModelName name;
  name.host = kOllamaHost;
  name.space = kOllamaNamespace;
  if (parts.size() == 3) {
    if (!valid_host(parts[0])) return std::nullopt;
    name.host = parts[0];
  }
  if (parts.size() >= 2) {
    name.space = parts[parts.size() - 2];
    if (!valid_component(name.space)) return std::nullopt;
  }
  if (!split_tag(parts.back(), name.repository, name.tag)) return std::nullopt;
  return name;
}

}  // namespace

std::string ModelName::display() const {
  if (source == ModelSource::hugging_face) {
    if (!file.empty()) return space + "/" + repository + "/" + file;
    return std::string(kHuggingFaceHost) + "/" + space + "/" + repository + ":" + tag;
  }
  std::string prefix;
  if (host != kOllamaHost) {
    prefix = host + "/" + space + "/";
  } else if (space != kOllamaNamespace) {
    prefix = space + "/";
  }
  return prefix + repository + ":" + tag;
}

std::string ModelName::manifest_path() const {
  return host + "/" + space + "/" + repository + "/" + tag;
}

std::optional<ModelName> parse_model_name(const std::string& text) {
  if (text.empty() || text.size() > 512) return std::nullopt;
  for (const char* prefix : {"hf.co/", "huggingface.co/"}) {
    if (starts_with(text, prefix))
      return parse_hugging_face(split(text.substr(std::strlen(prefix)), '/'));
  }
  const auto parts = split(text, '/');
  if (parts.size() == 3 && ends_with_gguf(parts[2])) return parse_hugging_face(parts);
  if (parts.size() > 3 || ends_with_gguf(text)) return std::nullopt;
  return parse_ollama(parts);
}

bool same_model_name(const std::string& a, const std::string& b) {
  const auto left = parse_model_name(a);
  const auto right = parse_model_name(b);
  if (left && right) return left->manifest_path() == right->manifest_path();
  return a == b;
}

}  // namespace weft::store
