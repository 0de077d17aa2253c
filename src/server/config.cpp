#include "server/config.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "chat/chat_template.hpp"
#include "kv/kv_type_name.hpp"
#include "weft/error.hpp"

namespace weft::server {
namespace {

// A timeout option: more than 0 and at most `most` seconds, as milliseconds (at least 1).
std::chrono::milliseconds positive_seconds(double seconds, const std::string& name, double most) {
  if (!(seconds > 0.0) || seconds > most) {
    throw Error(ErrorCode::invalid_request, name + " must be more than 0 and at most " +
                                                std::to_string(static_cast<int64_t>(most)) +
                                                " seconds");
  }
  return std::chrono::milliseconds(std::max<int64_t>(1, static_cast<int64_t>(seconds * 1000.0)));
}

using nlohmann::json;

template <typename T>
void override_field(std::optional<T>& target, const std::optional<T>& higher) {
  if (higher) target = higher;
}

Error config_error(const std::string& origin, const std::string& key, const std::string& what) {
  return Error(ErrorCode::invalid_request, origin + ": '" + key + "' " + what);
}

template <typename Integer>
Integer json_integer(const json& value, const std::string& origin, const std::string& key) {
  if (!value.is_number_integer()) throw config_error(origin, key, "must be an integer");
  if (value.is_number_unsigned()) {
    auto number = value.get<uint64_t>();
    if (number > static_cast<uint64_t>(std::numeric_limits<Integer>::max())) {
      throw config_error(origin, key, "is too large");
    }
    return static_cast<Integer>(number);
  }
  auto number = value.get<int64_t>();
  if (number < static_cast<int64_t>(std::numeric_limits<Integer>::min())) {
    throw config_error(origin, key,
                       "must be >= " + std::to_string(std::numeric_limits<Integer>::min()));
  }
  return static_cast<Integer>(number);
}

std::string json_string(const json& value, const std::string& origin, const std::string& key) {
  if (!value.is_string()) throw config_error(origin, key, "must be a string");
  return value.get<std::string>();
}

template <typename Integer>
Integer parse_integer(const std::string& text, const std::string& origin) {
  Integer value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw Error(ErrorCode::invalid_request, origin + ": '" + text + "' is not a valid integer");
  }
  return value;
}

bool parse_bool(const std::string& text, const std::string& origin) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text == "0" || text == "false" || text == "no" || text == "off" || text.empty()) return false;
  throw Error(ErrorCode::invalid_request,
              origin + ": '" + text + "' is not a boolean (1/0, true/false)");
}

double parse_seconds(const std::string& text, const std::string& origin) {
  try {
    size_t used = 0;
    double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw Error(ErrorCode::invalid_request, origin + ": '" + text + "' is not a number of seconds");
}

std::string read_key_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw Error(ErrorCode::invalid_request, "cannot read the API key file " + path);
  std::string key;
  std::getline(file, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();
  if (key.empty())
    throw Error(ErrorCode::invalid_request, "the API key file " + path + " is empty");
  return key;
}

// An empty key would mean "no authentication" and an empty key file name "no file": both
// more likely a shell variable that expanded to nothing than a wish to open the port.
void check_key_not_empty(const ServeSettings& settings) {
  if (settings.api_key && settings.api_key->empty()) {
    throw Error(ErrorCode::invalid_request,
                "api_key is empty: give a key, or leave the option out to serve TCP without "
                "authentication");
  }
  if (settings.api_key_file && settings.api_key_file->empty()) {
    throw Error(ErrorCode::invalid_request,
                "api_key_file is empty: give a file, or leave the option out");
  }
}

bool names_key(const ServeSettings& settings) {
  return settings.api_key || settings.api_key_file;
}

std::string key_source(const NamedSettings& layer) {
  return layer.name + (layer.settings->api_key ? " (api_key)" : " (api_key_file)");
}

std::vector<std::string> split_origins(const std::string& text) {
  std::vector<std::string> origins;
  std::stringstream list(text);
  std::string origin;
  while (std::getline(list, origin, ',')) {
    while (!origin.empty() && origin.front() == ' ') origin.erase(origin.begin());
    while (!origin.empty() && origin.back() == ' ') origin.pop_back();
    if (!origin.empty()) origins.push_back(origin);
  }
  return origins;
}

void finalize_http(const ServeSettings& settings, const protocol::EnvironmentLookup& lookup,
                   ServeConfig& config) {
  if (settings.http && *settings.http != "off") {
    config.http = settings.http->empty() ? kDefaultHttpAddress : *settings.http;
  }
  config.http_cors_origins = split_origins(settings.http_cors.value_or(""));
  config.http_body_limit = settings.http_body_limit.value_or(config.http_body_limit);
  if (config.http_body_limit < 1024) {
    throw Error(ErrorCode::invalid_request, "http_body_limit must be at least 1024 bytes");
  }
  auto get = [&](const char* name) -> std::string {
    const char* value = lookup ? lookup(name) : std::getenv(name);
    return value ? value : "";
  };
  config.models_dir = settings.models_dir.value_or("");
  if (config.models_dir.empty()) {
    if (!get("XDG_DATA_HOME").empty()) {
      config.models_dir = get("XDG_DATA_HOME") + "/weft/models";
    } else if (!get("HOME").empty()) {
      config.models_dir = get("HOME") + "/.local/share/weft/models";
    }
  }
}

// Speculation (native backend): the limits of `weft run --lookup` and `--draft`, which exclude
// each other there too.
void finalize_speculation(const ServeSettings& settings, ServeConfig& config) {
  config.draft = settings.draft.value_or("");
  if (!config.draft.empty() && settings.lookup.value_or(0) != 0) {
    throw Error(ErrorCode::invalid_request,
                "draft and lookup cannot be combined: the drafts come from a draft model or from "
                "prompt lookup");
  }
  config.lookup = settings.lookup.value_or(0);
  if (config.lookup == 1 || config.lookup > 16) {
    throw Error(ErrorCode::invalid_request,
                "lookup must be 0 (off) or an n-gram length from 2 to 16, got " +
                    std::to_string(config.lookup));
  }
  config.draft_tokens = settings.draft_tokens.value_or(4);
  if (config.draft_tokens == 0 || config.draft_tokens > 64) {
    throw Error(ErrorCode::invalid_request,
                "draft_tokens must be from 1 to 64, got " + std::to_string(config.draft_tokens));
  }
}

// The programs directory must exist when the daemon starts, so that a typo fails at once
// rather than at the first request.
void finalize_programs(const ServeSettings& settings, ServeConfig& config) {
  const std::string dir = settings.programs.value_or("");
  if (!dir.empty()) {
    std::error_code error;
    if (!std::filesystem::is_directory(dir, error)) {
      throw Error(ErrorCode::invalid_request,
                  "programs: '" + dir + "' is not a directory (the programs to serve, NAME.js)");
    }
    config.programs_dir = std::filesystem::absolute(dir).lexically_normal().string();
  }
  config.program_timeout = positive_seconds(settings.program_timeout_seconds.value_or(300.0),
                                            "program_timeout", 86400.0);
  config.program_max_pages = settings.program_max_pages.value_or(0);
  config.program_max_contexts = settings.program_max_contexts.value_or(64);
  if (config.program_max_contexts == 0) {
    throw Error(ErrorCode::invalid_request, "program_max_contexts must be at least 1");
  }
  config.max_programs = settings.max_programs.value_or(4);
  if (config.max_programs == 0) {
    throw Error(ErrorCode::invalid_request, "max_programs must be at least 1");
  }
  config.program_sandbox = settings.program_sandbox.value_or("auto");
  for (const char* choice : {"auto", "bwrap", "node", "none"}) {
    if (config.program_sandbox == choice) return;
  }
  throw Error(
      ErrorCode::invalid_request,
      "program_sandbox must be auto, bwrap, node or none, got '" + config.program_sandbox + "'");
}

}  // namespace

ServeSettings ServeSettings::overridden_by(const ServeSettings& higher) const {
  ServeSettings merged = *this;
  override_field(merged.backend, higher.backend);
  override_field(merged.model, higher.model);
  override_field(merged.context_length, higher.context_length);
  override_field(merged.chat_template, higher.chat_template);
  override_field(merged.threads, higher.threads);
  override_field(merged.gpu_layers, higher.gpu_layers);
  override_field(merged.kv_type, higher.kv_type);
  override_field(merged.runtime_dir, higher.runtime_dir);
  override_field(merged.tcp, higher.tcp);
  override_field(merged.allow_non_loopback, higher.allow_non_loopback);
  // The key is one setting given two ways: a layer that names it either way replaces the
  // lower layers' key and key file together, so a flag's key file beats a config file's key.
  if (higher.api_key || higher.api_key_file) {
    merged.api_key = higher.api_key;
    merged.api_key_file = higher.api_key_file;
  }
  override_field(merged.auth_timeout_seconds, higher.auth_timeout_seconds);
  override_field(merged.parallel, higher.parallel);
  override_field(merged.queue, higher.queue);
  override_field(merged.drain_timeout_seconds, higher.drain_timeout_seconds);
  override_field(merged.write_timeout_seconds, higher.write_timeout_seconds);
  override_field(merged.max_connections, higher.max_connections);
  override_field(merged.max_queued_bytes, higher.max_queued_bytes);
  override_field(merged.log_level, higher.log_level);
  override_field(merged.prefix_cache, higher.prefix_cache);
  override_field(merged.lookup, higher.lookup);
  override_field(merged.draft_tokens, higher.draft_tokens);
  override_field(merged.draft, higher.draft);
  override_field(merged.inferd_compat, higher.inferd_compat);
  override_field(merged.http, higher.http);
  override_field(merged.http_cors, higher.http_cors);
  override_field(merged.http_body_limit, higher.http_body_limit);
  override_field(merged.models_dir, higher.models_dir);
  override_field(merged.programs, higher.programs);
  override_field(merged.program_timeout_seconds, higher.program_timeout_seconds);
  override_field(merged.program_max_pages, higher.program_max_pages);
  override_field(merged.program_max_contexts, higher.program_max_contexts);
  override_field(merged.max_programs, higher.max_programs);
  override_field(merged.program_sandbox, higher.program_sandbox);
  return merged;
}

std::optional<std::string> api_key_precedence_warning(const std::vector<NamedSettings>& layers) {
  std::vector<const NamedSettings*> naming;
  for (const auto& layer : layers) {
    if (layer.settings && names_key(*layer.settings)) naming.push_back(&layer);
  }
  if (naming.size() < 2) return std::nullopt;
  std::string warning = "the API key is given by ";
  for (size_t i = 0; i < naming.size(); ++i) {
    if (i > 0) warning += i + 1 == naming.size() ? " and " : ", ";
    warning += key_source(*naming[i]);
  }
  return warning + "; " + key_source(*naming.back()) + " wins";
}

ServeSettings settings_from_json_text(const std::string& text, const std::string& origin) {
  json object;
  try {
    object = json::parse(text);
  } catch (const json::exception& error) {
    throw Error(ErrorCode::invalid_request, origin + ": not valid JSON: " + error.what());
  }
  if (!object.is_object())
    throw Error(ErrorCode::invalid_request, origin + ": must be a JSON object");
  ServeSettings settings;
  for (const auto& [key, value] : object.items()) {
    if (key == "backend")
      settings.backend = json_string(value, origin, key);
    else if (key == "model")
      settings.model = json_string(value, origin, key);
    else if (key == "ctx")
      settings.context_length = json_integer<uint32_t>(value, origin, key);
    else if (key == "chat_template")
      settings.chat_template = json_string(value, origin, key);
    else if (key == "threads")
      settings.threads = json_integer<uint32_t>(value, origin, key);
    else if (key == "gpu_layers")
      settings.gpu_layers = json_integer<int32_t>(value, origin, key);
    else if (key == "kv_type")
      settings.kv_type = json_string(value, origin, key);
    else if (key == "runtime_dir")
      settings.runtime_dir = json_string(value, origin, key);
    else if (key == "tcp")
      settings.tcp = json_string(value, origin, key);
    else if (key == "allow_non_loopback") {
      if (!value.is_boolean()) throw config_error(origin, key, "must be true or false");
      settings.allow_non_loopback = value.get<bool>();
    } else if (key == "api_key")
      settings.api_key = json_string(value, origin, key);
    else if (key == "api_key_file")
      settings.api_key_file = json_string(value, origin, key);
    else if (key == "auth_timeout") {
      if (!value.is_number()) throw config_error(origin, key, "must be a number of seconds");
      settings.auth_timeout_seconds = value.get<double>();
    } else if (key == "parallel")
      settings.parallel = json_integer<uint32_t>(value, origin, key);
    else if (key == "lookup")
      settings.lookup = json_integer<uint32_t>(value, origin, key);
    else if (key == "draft_tokens")
      settings.draft_tokens = json_integer<uint32_t>(value, origin, key);
    else if (key == "draft")
      settings.draft = json_string(value, origin, key);
    else if (key == "queue")
      settings.queue = json_integer<uint32_t>(value, origin, key);
    else if (key == "drain_timeout") {
      if (!value.is_number()) throw config_error(origin, key, "must be a number of seconds");
      settings.drain_timeout_seconds = value.get<double>();
    } else if (key == "write_timeout") {
      if (!value.is_number()) throw config_error(origin, key, "must be a number of seconds");
      settings.write_timeout_seconds = value.get<double>();
    } else if (key == "max_connections")
      settings.max_connections = json_integer<uint32_t>(value, origin, key);
    else if (key == "max_queued_bytes")
      settings.max_queued_bytes = json_integer<uint64_t>(value, origin, key);
    else if (key == "log_level")
      settings.log_level = json_string(value, origin, key);
    else if (key == "inferd_compat") {
      if (!value.is_boolean()) throw config_error(origin, key, "must be true or false");
      settings.inferd_compat = value.get<bool>();
    } else if (key == "prefix_cache") {
      if (!value.is_boolean()) throw config_error(origin, key, "must be true or false");
      settings.prefix_cache = value.get<bool>();
    } else if (key == "http") {
      // true: the default address; false: off; a string: HOST:PORT.
      if (value.is_boolean()) {
        settings.http = value.get<bool>() ? "" : "off";
      } else {
        settings.http = json_string(value, origin, key);
      }
    } else if (key == "http_cors")
      settings.http_cors = json_string(value, origin, key);
    else if (key == "http_body_limit")
      settings.http_body_limit = json_integer<uint64_t>(value, origin, key);
    else if (key == "models_dir")
      settings.models_dir = json_string(value, origin, key);
    else if (key == "programs")
      settings.programs = json_string(value, origin, key);
    else if (key == "program_timeout") {
      if (!value.is_number()) throw config_error(origin, key, "must be a number of seconds");
      settings.program_timeout_seconds = value.get<double>();
    } else if (key == "program_max_pages")
      settings.program_max_pages = json_integer<uint64_t>(value, origin, key);
    else if (key == "program_max_contexts")
      settings.program_max_contexts = json_integer<uint32_t>(value, origin, key);
    else if (key == "max_programs")
      settings.max_programs = json_integer<uint32_t>(value, origin, key);
    else if (key == "program_sandbox")
      settings.program_sandbox = json_string(value, origin, key);
    else
      throw config_error(origin, key, "is not a known option (see `weft serve --help`)");
  }
  return settings;
}

ServeSettings settings_from_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw Error(ErrorCode::invalid_request, "cannot read the config file " + path);
  std::stringstream text;
  text << file.rdbuf();
  return settings_from_json_text(text.str(), path);
}

ServeSettings settings_from_environment(const protocol::EnvironmentLookup& lookup) {
  auto get = [&](const char* name) -> std::optional<std::string> {
    const char* value = lookup ? lookup(name) : std::getenv(name);
    if (!value || !*value) return std::nullopt;
    return std::string(value);
  };
  ServeSettings settings;
  settings.backend = get("WEFT_BACKEND");
  settings.model = get("WEFT_MODEL");
  if (auto v = get("WEFT_CTX")) settings.context_length = parse_integer<uint32_t>(*v, "WEFT_CTX");
  settings.chat_template = get("WEFT_CHAT_TEMPLATE");
  if (auto v = get("WEFT_THREADS")) settings.threads = parse_integer<uint32_t>(*v, "WEFT_THREADS");
  if (auto v = get("WEFT_GPU_LAYERS"))
    settings.gpu_layers = parse_integer<int32_t>(*v, "WEFT_GPU_LAYERS");
  settings.kv_type = get("WEFT_KV_TYPE");
  settings.runtime_dir = get("WEFT_RUNTIME_DIR");
  settings.tcp = get("WEFT_TCP");
  if (auto v = get("WEFT_ALLOW_NON_LOOPBACK")) {
    settings.allow_non_loopback = parse_bool(*v, "WEFT_ALLOW_NON_LOOPBACK");
  }
  settings.api_key = get("WEFT_API_KEY");
  settings.api_key_file = get("WEFT_API_KEY_FILE");
  if (auto v = get("WEFT_AUTH_TIMEOUT")) {
    settings.auth_timeout_seconds = parse_seconds(*v, "WEFT_AUTH_TIMEOUT");
  }
  if (auto v = get("WEFT_PARALLEL"))
    settings.parallel = parse_integer<uint32_t>(*v, "WEFT_PARALLEL");
  if (auto v = get("WEFT_QUEUE")) settings.queue = parse_integer<uint32_t>(*v, "WEFT_QUEUE");
  if (auto v = get("WEFT_DRAIN_TIMEOUT")) {
    settings.drain_timeout_seconds = parse_seconds(*v, "WEFT_DRAIN_TIMEOUT");
  }
  if (auto v = get("WEFT_WRITE_TIMEOUT")) {
    settings.write_timeout_seconds = parse_seconds(*v, "WEFT_WRITE_TIMEOUT");
  }
  if (auto v = get("WEFT_MAX_CONNECTIONS")) {
    settings.max_connections = parse_integer<uint32_t>(*v, "WEFT_MAX_CONNECTIONS");
  }
  if (auto v = get("WEFT_MAX_QUEUED_BYTES")) {
    settings.max_queued_bytes = parse_integer<uint64_t>(*v, "WEFT_MAX_QUEUED_BYTES");
  }
  settings.log_level = get("WEFT_LOG_LEVEL");
  if (auto v = get("WEFT_INFERD_COMPAT")) {
    settings.inferd_compat = parse_bool(*v, "WEFT_INFERD_COMPAT");
  }
  if (auto v = get("WEFT_PREFIX_CACHE")) {
    settings.prefix_cache = parse_bool(*v, "WEFT_PREFIX_CACHE");
  }
  if (auto v = get("WEFT_LOOKUP")) settings.lookup = parse_integer<uint32_t>(*v, "WEFT_LOOKUP");
  if (auto v = get("WEFT_DRAFT_TOKENS")) {
    settings.draft_tokens = parse_integer<uint32_t>(*v, "WEFT_DRAFT_TOKENS");
  }
  settings.draft = get("WEFT_DRAFT");
  if (auto v = get("WEFT_HTTP")) {
    if (*v == "1" || *v == "true" || *v == "on" || *v == "yes") {
      settings.http = "";
    } else if (*v == "0" || *v == "false" || *v == "no") {
      settings.http = "off";
    } else {
      settings.http = *v;
    }
  }
  settings.http_cors = get("WEFT_HTTP_CORS");
  if (auto v = get("WEFT_HTTP_BODY_LIMIT")) {
    settings.http_body_limit = parse_integer<uint64_t>(*v, "WEFT_HTTP_BODY_LIMIT");
  }
  // WEFT_MODELS is the store's own variable (docs/models.md); WEFT_MODELS_DIR, the older
  // name, still works and loses to it.
  settings.models_dir = get("WEFT_MODELS");
  if (!settings.models_dir) settings.models_dir = get("WEFT_MODELS_DIR");
  settings.programs = get("WEFT_PROGRAMS");
  if (auto v = get("WEFT_PROGRAM_TIMEOUT")) {
    settings.program_timeout_seconds = parse_seconds(*v, "WEFT_PROGRAM_TIMEOUT");
  }
  if (auto v = get("WEFT_PROGRAM_MAX_PAGES")) {
    settings.program_max_pages = parse_integer<uint64_t>(*v, "WEFT_PROGRAM_MAX_PAGES");
  }
  if (auto v = get("WEFT_PROGRAM_MAX_CONTEXTS")) {
    settings.program_max_contexts = parse_integer<uint32_t>(*v, "WEFT_PROGRAM_MAX_CONTEXTS");
  }
  if (auto v = get("WEFT_MAX_PROGRAMS")) {
    settings.max_programs = parse_integer<uint32_t>(*v, "WEFT_MAX_PROGRAMS");
  }
  settings.program_sandbox = get("WEFT_PROGRAM_SANDBOX");
  return settings;
}

ServeConfig finalize(const ServeSettings& settings, const protocol::EnvironmentLookup& lookup) {
  ServeConfig config;
  config.backend = settings.backend.value_or("");
  config.model = settings.model.value_or("");
  config.context_length = settings.context_length;
  config.chat_template = settings.chat_template.value_or("");
  // Compiled here only to refuse a bad file before any socket is bound; the backend reads
  // it again when it loads (and again on SIGHUP).
  if (!config.chat_template.empty()) (void)chat::ChatTemplate::from_file(config.chat_template);
  config.threads = settings.threads.value_or(0);
  config.gpu_layers = settings.gpu_layers.value_or(0);
  config.kv_type = settings.kv_type.value_or("f16");
  (void)kv::kv_type_from_name(config.kv_type, "kv_type");  // refused before any socket
  config.runtime_dir = settings.runtime_dir.value_or("");
  config.inferd_compat = settings.inferd_compat.value_or(false);
  if (config.runtime_dir.empty()) {
    config.runtime_dir = config.inferd_compat ? protocol::resolve_inferd_runtime_dir(lookup)
                                              : protocol::resolve_runtime_dir(lookup);
  }
  config.tcp = settings.tcp.value_or("");
  config.allow_non_loopback = settings.allow_non_loopback.value_or(false);
  check_key_not_empty(settings);
  config.api_key = settings.api_key.value_or("");
  // Within one layer an inline key beats a key file.
  if (!settings.api_key && settings.api_key_file && !settings.api_key_file->empty()) {
    config.api_key = read_key_file(*settings.api_key_file);
  }
  config.auth_timeout =
      positive_seconds(settings.auth_timeout_seconds.value_or(10.0), "auth_timeout", 3600.0);
  config.parallel = settings.parallel.value_or(config.parallel);
  if (config.parallel == 0) {
    throw Error(ErrorCode::invalid_request, "parallel must be at least 1");
  }
  config.queue = settings.queue.value_or(config.queue);
  double drain = settings.drain_timeout_seconds.value_or(30.0);
  if (!(drain >= 0.0) || drain > 86400.0) {
    throw Error(ErrorCode::invalid_request, "drain_timeout must be between 0 and 86400 seconds");
  }
  config.drain_timeout = std::chrono::milliseconds(static_cast<int64_t>(drain * 1000.0));
  config.write_timeout =
      positive_seconds(settings.write_timeout_seconds.value_or(30.0), "write_timeout", 86400.0);
  config.max_connections = settings.max_connections.value_or(config.max_connections);
  if (config.max_connections == 0) {
    throw Error(ErrorCode::invalid_request, "max_connections must be at least 1");
  }
  config.max_queued_bytes = settings.max_queued_bytes.value_or(config.max_queued_bytes);
  if (config.max_queued_bytes < (1u << 20)) {
    throw Error(ErrorCode::invalid_request,
                "max_queued_bytes must be at least 1048576 (1 MiB), got " +
                    std::to_string(config.max_queued_bytes));
  }
  config.log_level = settings.log_level.value_or("info");
  config.prefix_cache = settings.prefix_cache.value_or(true);
  finalize_speculation(settings, config);
  finalize_http(settings, lookup, config);
  finalize_programs(settings, config);
  for (const char* level : {"trace", "debug", "info", "warn", "error", "off"}) {
    if (config.log_level == level) return config;
  }
  throw Error(
      ErrorCode::invalid_request,
      "log_level must be trace, debug, info, warn, error or off, got '" + config.log_level + "'");
}

}  // namespace weft::server
