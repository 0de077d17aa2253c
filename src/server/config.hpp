// `weft serve` configuration: command-line flags over WEFT_* environment variables over a
// JSON config file (--config FILE). docs/serve.md lists every option.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/runtime_dir.hpp"

namespace weft::server {

// One layer of settings; an unset field lets a lower layer (or the default) decide.
struct ServeSettings {
  std::optional<std::string> backend;
  std::optional<std::string> model;
  std::optional<uint32_t> context_length;
  std::optional<std::string> chat_template;
  std::optional<uint32_t> threads;
  std::optional<int32_t> gpu_layers;
  std::optional<std::string> kv_type;
  std::optional<std::string> runtime_dir;
  std::optional<std::string> tcp;
  std::optional<bool> allow_non_loopback;
  std::optional<std::string> api_key;
  std::optional<std::string> api_key_file;
  std::optional<double> auth_timeout_seconds;
  std::optional<uint32_t> parallel;
  std::optional<uint32_t> queue;
  std::optional<double> drain_timeout_seconds;
  std::optional<double> write_timeout_seconds;
  std::optional<uint32_t> max_connections;
  std::optional<uint64_t> max_queued_bytes;
  std::optional<std::string> log_level;
  std::optional<bool> prefix_cache;
  std::optional<uint32_t> lookup;  // 0 = off
  std::optional<uint32_t> draft_tokens;
  std::optional<std::string> draft;  // a draft model's GGUF file or store name; "" = none
  std::optional<bool> inferd_compat;
  // The HTTP server: "" = the default address, "off" = none (a lower layer's may be unset).
  std::optional<std::string> http;
  std::optional<std::string> http_cors;  // comma-separated allowed origins, "*" for any
  std::optional<uint64_t> http_body_limit;
  std::optional<std::string> models_dir;
  // Programs (docs/programs.md, "Programs in the daemon").
  std::optional<std::string> programs;
  std::optional<double> program_timeout_seconds;
  std::optional<uint64_t> program_max_pages;
  std::optional<uint32_t> program_max_contexts;
  std::optional<uint32_t> max_programs;
  std::optional<std::string> program_sandbox;

  // Fields set in `higher` win.
  ServeSettings overridden_by(const ServeSettings& higher) const;
};

// The effective configuration, defaults applied and values checked.
struct ServeConfig {
  std::string backend;  // "" = auto-selection
  std::string model;
  std::optional<uint32_t> context_length;
  std::string chat_template;  // a Jinja file replacing the model's template; "" = the model's
  uint32_t threads = 0;
  int32_t gpu_layers = 0;
  std::string kv_type = "f16";  // native backend: the KV cache's element type (f16, f32, q8_0)
  std::string runtime_dir;      // resolved
  // inferd's directory, socket and lock names (docs/serve.md, "inferd compatibility").
  bool inferd_compat = false;
  std::string tcp;  // "" = no TCP listener
  bool allow_non_loopback = false;
  std::string api_key;  // "" = TCP without auth
  // A TCP connection that has not sent a complete first line (its auth line when a key is
  // set) by then is closed, so idle or trickling peers cannot pile up.
  std::chrono::milliseconds auth_timeout{10000};
  uint32_t parallel = 8;
  uint32_t queue = 64;
  std::chrono::milliseconds drain_timeout{30000};
  // A connection whose pending output makes no progress for this long (its peer does not
  // read) is closed, and its generation cancelled, so it cannot hold a slot for ever.
  std::chrono::milliseconds write_timeout{30000};
  // Inference connections (Unix and TCP together) served at once; one more is sent a
  // queue_full error frame and closed. Below the usual 1024-descriptor limit, with room for
  // the model, the admin socket and HTTP.
  uint32_t max_connections = 1000;
  // What all connections together may hold queued (unwritten output, unread input, parsed
  // requests waiting); past it the connections holding the most are closed, largest first
  // (docs/reliability.md#the-daemon-wide-budget). Each connection's own limits allow up to
  // 4 MiB of output and a 64 MiB request line, so 1000 connections could otherwise hold
  // tens of gigabytes.
  uint64_t max_queued_bytes = 1ull << 30;
  std::string log_level = "info";
  bool prefix_cache = true;  // native backend: reuse the KV pages of common prompt prefixes
  // Native backend: prompt-lookup speculative decoding for every generation, with n-grams of
  // `lookup` tokens (0 = off, else 2..16) and at most `draft_tokens` drafts per decode (1..64).
  uint32_t lookup = 0;
  uint32_t draft_tokens = 4;
  // Native backend: draft-model speculative decoding for every generation, with drafts from
  // this model (a GGUF file or store name with the model's vocabulary; "" = off). Not with
  // lookup. The draft model's passes are batched over the streams (runtime/scheduler.hpp).
  std::string draft;
  std::string http;  // "" = no HTTP server, else HOST:PORT (docs/http.md)
  std::vector<std::string> http_cors_origins;
  uint64_t http_body_limit = 8u << 20;  // bytes
  std::string models_dir;               // resolved: GGUF files the HTTP APIs list
  // Programs: "" = program requests are refused; else an absolute directory of NAME.js files.
  std::string programs_dir;
  std::chrono::milliseconds program_timeout{300000};
  uint64_t program_max_pages = 0;  // 0: as many as the pool has
  uint32_t program_max_contexts = 64;
  uint32_t max_programs = 4;  // running at once; one more is refused with queue_full
  std::string program_sandbox = "auto";
  // Not a setting: where the inferlet SDK is, found by the command line when programs_dir is set.
  std::string program_sdk_dir;
};

// The address a bare --http (or "http": true) means.
inline constexpr const char* kDefaultHttpAddress = "127.0.0.1:11435";

// Throws weft::Error naming the file and the key for unknown keys and wrong types.
ServeSettings settings_from_file(const std::string& path);
ServeSettings settings_from_json_text(const std::string& text, const std::string& origin);
// Throws weft::Error naming the variable for a value that does not parse.
ServeSettings settings_from_environment(const protocol::EnvironmentLookup& lookup = {});

// A warning for an API key named (as api_key or api_key_file) by more than one layer, naming
// the layer that wins; nullopt when at most one names it. Layers are lowest first.
struct NamedSettings {
  std::string name;  // e.g. "the config file /etc/weft.json"
  const ServeSettings* settings;
};
std::optional<std::string> api_key_precedence_warning(const std::vector<NamedSettings>& layers);

// Applies defaults, reads api_key_file, resolves the runtime directory, checks ranges (an
// empty API key is an error: it would silently turn authentication off) and that the chat
// template file reads and compiles.
ServeConfig finalize(const ServeSettings& settings, const protocol::EnvironmentLookup& lookup = {});

}  // namespace weft::server
