#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "http/http_server.hpp"
#include "server/config.hpp"
#include "server/server.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

struct ServeFlags {
  std::string config_file;
  server::ServeSettings settings;
  uint32_t lookup = 0;  // --lookup[=N], a flag with an optional value (0: not given)

  // The command line's layer of settings.
  server::ServeSettings command_line() const {
    server::ServeSettings given = settings;
    if (lookup != 0) given.lookup = lookup;
    return given;
  }
};

struct Resolved {
  server::ServeConfig config;
  std::vector<std::string> warnings;
};

Resolved resolve_with_warnings(const ServeFlags& flags) {
  server::ServeSettings file;
  std::string config_file = flags.config_file;
  if (config_file.empty()) {
    if (const char* env = std::getenv("WEFT_CONFIG")) config_file = env;
  }
  if (!config_file.empty()) file = server::settings_from_file(config_file);
  auto environment = server::settings_from_environment();
  Resolved resolved;
  const auto command_line = flags.command_line();
  resolved.config = server::finalize(file.overridden_by(environment).overridden_by(command_line));
  if (auto warning = server::api_key_precedence_warning({{"the config file " + config_file, &file},
                                                         {"the environment", &environment},
                                                         {"the command line", &command_line}})) {
    resolved.warnings.push_back(*warning);
  }
  return resolved;
}

server::ServeConfig resolve(const ServeFlags& flags) {
  return resolve_with_warnings(flags).config;
}

spdlog::level::level_enum to_spdlog(const std::string& level) {
  return spdlog::level::from_str(level);
}

server::LogFunction make_log(const std::string& level) {
  auto logger =
      std::make_shared<spdlog::logger>("weft", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  logger->set_level(to_spdlog(level));
  logger->flush_on(spdlog::level::trace);
  return [logger](server::LogLevel level, const std::string& line) {
    switch (level) {
      case server::LogLevel::debug:
        logger->debug(line);
        break;
      case server::LogLevel::info:
        logger->info(line);
        break;
      case server::LogLevel::warn:
        logger->warn(line);
        break;
      case server::LogLevel::error:
        logger->error(line);
        break;
    }
  };
}

// Without a model or a backend, auto-selection would end at the stub and serve canned text
// to clients that expect a model; say how to choose instead.
void require_a_choice(const server::ServeConfig& config) {
  const char* engine = std::getenv("WEFT_ENGINE_BIN");
  if (!config.backend.empty() || !config.model.empty() || (engine && *engine)) return;
  throw Error(ErrorCode::invalid_request,
              "no model and no backend chosen: give a GGUF file with --model PATH (or "
              "WEFT_MODEL), or a backend with --backend ollama|openai|stub (or WEFT_BACKEND); "
              "`weft backends` lists them");
}

// XDG_RUNTIME_DIR is made by the login session and must already exist when it is set (XDG
// base directory spec); a missing one means a stale environment, and creating it would leave
// a directory with the wrong owner and lifetime.
void require_existing_xdg_runtime_dir(const server::ServeConfig& config) {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (!xdg || !*xdg) return;
  const std::string base = xdg;
  if (config.runtime_dir.rfind(base + "/", 0) != 0) return;  // not derived from it
  std::error_code ignored;
  if (std::filesystem::is_directory(base, ignored)) return;
  throw Error(ErrorCode::invalid_request,
              "XDG_RUNTIME_DIR=" + base +
                  " does not exist (the login session creates it; weft does not): unset it, "
                  "fix it, or give --runtime-dir DIR");
}

int serve(const ServeFlags& flags) {
  server::ServerOptions options;
  auto resolved = resolve_with_warnings(flags);
  options.config = std::move(resolved.config);
  require_a_choice(options.config);
  require_existing_xdg_runtime_dir(options.config);
  // Found once here (the SDK's place is known to the command line only), before any socket.
  if (!options.config.programs_dir.empty()) options.config.program_sdk_dir = inferlet_sdk_dir();
  options.reload_config = [flags, sdk = options.config.program_sdk_dir] {
    auto config = resolve(flags);
    config.program_sdk_dir = sdk;
    return config;
  };
  options.log = make_log(options.config.log_level);
  for (const auto& warning : resolved.warnings) options.log(server::LogLevel::warn, warning);
  options.registry = BackendRegistry::with_builtin_backends();
  options.http = &http::http_frontend;
  return server::run_server(std::move(options));
}

void add_flag_to(CLI::App& sub, const std::string& name, std::optional<bool>& target,
                 const std::string& help) {
  sub.add_flag_callback(
      name, [&target] { target = true; }, help);
}

}  // namespace

Command add_serve_command(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  auto& s = flags->settings;
  auto* sub = app.add_subcommand(
      "serve",
      "Run the daemon: inferd protocol v1 on a Unix socket (and loopback TCP when asked) plus "
      "the admin socket. Precedence: flags, then WEFT_* environment variables, then the "
      "config file. See docs/serve.md.");
  sub->add_option("--config", flags->config_file,
                  "JSON config file: an object whose keys are the long option names with '_' "
                  "for '-' (e.g. \"api_key_file\"), except that --no-prefix-cache is "
                  "\"prefix_cache\": false; docs/serve.md lists them (env WEFT_CONFIG)");
  sub->add_option("-b,--backend", s.backend,
                  "Backend (see `weft backends`); default: auto-selection (env WEFT_BACKEND)");
  sub->add_option("-m,--model", s.model,
                  "GGUF file, store name or a name to pull such as hf.co/ORG/REPO:QUANT "
                  "(native; docs/models.md), or the model name of a remote backend (env "
                  "WEFT_MODEL)");
  sub->add_option("-c,--ctx", s.context_length, "Context length override (env WEFT_CTX)");
  sub->add_option("--chat-template", s.chat_template,
                  "Jinja chat template file replacing the model's own, native backend "
                  "(env WEFT_CHAT_TEMPLATE)");
  sub->add_option("-t,--threads", s.threads, "Threads, 0 = physical cores (env WEFT_THREADS)");
  sub->add_option("--gpu-layers", s.gpu_layers,
                  "Layers to offload to an accelerator (env WEFT_GPU_LAYERS)");
  sub->add_option("--kv-type", s.kv_type,
                  "KV cache element type of the native backend: f16 (default), f32 or q8_0 "
                  "(half the memory of f16; head sizes a multiple of 32) (env WEFT_KV_TYPE)")
      ->check(CLI::IsMember({"f16", "f32", "q8_0"}));
  sub->add_option(
      "--runtime-dir", s.runtime_dir,
      "Directory of infer.sock, admin.sock and weft.lock; default $XDG_RUNTIME_DIR/weft, "
      "else $HOME/.weft/run, else /tmp/weft-UID (env WEFT_RUNTIME_DIR)");
  sub->add_option("--tcp", s.tcp,
                  "Also listen on TCP HOST:PORT, e.g. 127.0.0.1:47321 (env WEFT_TCP)");
  add_flag_to(*sub, "--allow-non-loopback", s.allow_non_loopback,
              "Allow --tcp on a non-loopback address (env WEFT_ALLOW_NON_LOOPBACK=1)");
  sub->add_option(
      "--api-key", s.api_key,
      "Key that TCP clients must send first ({\"type\":\"auth\",\"key\":…}) (env WEFT_API_KEY)");
  sub->add_option("--api-key-file", s.api_key_file,
                  "Read the API key from the first line of a file (env WEFT_API_KEY_FILE)");
  sub->add_option("--auth-timeout", s.auth_timeout_seconds,
                  "With an API key: seconds a TCP client has to send its complete auth line "
                  "before it is disconnected (default 10; no limit without a key) "
                  "(env WEFT_AUTH_TIMEOUT)");
  sub->add_option("--parallel", s.parallel,
                  "Generations that run at once (default 8) (env WEFT_PARALLEL)");
  sub->add_option(
      "--queue", s.queue,
      "Requests that may wait for a slot; beyond that queue_full (default 64) (env WEFT_QUEUE)");
  sub->add_option(
      "--drain-timeout", s.drain_timeout_seconds,
      "Seconds that SIGTERM waits for in-flight requests before cancelling them (default 30) "
      "(env WEFT_DRAIN_TIMEOUT)");
  sub->add_option("--max-connections", s.max_connections,
                  "Inference connections (Unix and TCP) served at once; one more gets a "
                  "queue_full error frame and is closed (default 1000) "
                  "(env WEFT_MAX_CONNECTIONS)");
  sub->add_option("--max-queued-bytes", s.max_queued_bytes,
                  "Bytes all connections together may hold queued (unwritten answers, unread "
                  "input, requests waiting); past it the connections holding the most are "
                  "closed, largest first (default 1073741824, 1 GiB) "
                  "(env WEFT_MAX_QUEUED_BYTES)");
  sub->add_option("--write-timeout", s.write_timeout_seconds,
                  "Seconds a connection's unwritten output may make no progress (the client "
                  "does not read) before the connection is closed and its generation "
                  "cancelled; HTTP streams too (default 30) (env WEFT_WRITE_TIMEOUT)");
  sub->add_flag_callback(
      "--inferd-compat", [&s] { s.inferd_compat = true; },
      "Serve under inferd's runtime directory and names ($XDG_RUNTIME_DIR/inferd/, "
      "inferd.lock) so unmodified inferd clients find weft; refused while a real inferd "
      "holds them (env WEFT_INFERD_COMPAT=1; docs/serve.md)");
  sub->add_flag_callback(
      "--no-prefix-cache", [&s] { s.prefix_cache = false; },
      "Native backend: do not reuse the KV cache of common prompt prefixes (env "
      "WEFT_PREFIX_CACHE=0)");
  sub->add_flag("--lookup{3}", flags->lookup,
                "Native backend: speculative decoding by prompt lookup for every generation: "
                "the tokens after the latest earlier occurrence of the last N-1 tokens "
                "(--lookup=N, default 3) are drafted and verified in the same model call as "
                "the other streams; the output is the same as without it (env WEFT_LOOKUP)")
      ->check(CLI::Range(2, 16))
      ->option_text("[=N]");
  sub->add_option("--draft", s.draft,
                  "Native backend: speculative decoding for every generation with drafts from "
                  "MODEL (a GGUF file or store name with the model's vocabulary, e.g. a smaller "
                  "or more quantised copy): each step the drafting streams' drafts come from "
                  "batched draft-model calls and are verified in the same model call as the "
                  "other streams; the output is the same as without it; not with --lookup "
                  "(env WEFT_DRAFT)")
      ->option_text("MODEL");
  sub->add_option("--draft-tokens,--draft-max", s.draft_tokens,
                  "With --lookup or --draft: most tokens drafted per decode (default 4) "
                  "(env WEFT_DRAFT_TOKENS)")
      ->check(CLI::Range(1, 64));
  sub->add_option("--http", s.http,
                  "Also serve the OpenAI- and Ollama-compatible HTTP APIs on HOST:PORT; bare "
                  "--http = " +
                      std::string(server::kDefaultHttpAddress) +
                      "; a non-loopback host needs --allow-non-loopback; see docs/http.md "
                      "(env WEFT_HTTP)")
      ->expected(0, 1);
  sub->add_option("--http-cors", s.http_cors,
                  "Origins browsers may call the HTTP APIs from, comma-separated, or * "
                  "(env WEFT_HTTP_CORS)");
  sub->add_option("--http-body-limit", s.http_body_limit,
                  "Largest HTTP request body in bytes; larger gets 413 (default 8388608) "
                  "(env WEFT_HTTP_BODY_LIMIT)");
  sub->add_option("--models-dir", s.models_dir,
                  "The model store (docs/models.md): where names are found and pulled to, and "
                  "what the HTTP APIs list besides the served model (default "
                  "$XDG_DATA_HOME/weft/models) (env WEFT_MODELS, else WEFT_MODELS_DIR)");
  sub->add_option("--programs", s.programs,
                  "Directory of programs (inferlets, NAME.js) that clients may run by name "
                  "(docs/programs.md) (env WEFT_PROGRAMS)");
  sub->add_option("--program-timeout", s.program_timeout_seconds,
                  "Seconds a program may run before it is stopped (default 300) "
                  "(env WEFT_PROGRAM_TIMEOUT)");
  sub->add_option("--program-max-pages", s.program_max_pages,
                  "KV pages one program's contexts may span (default 0: the pool) "
                  "(env WEFT_PROGRAM_MAX_PAGES)");
  sub->add_option("--program-max-contexts", s.program_max_contexts,
                  "Contexts one program may hold at once (default 64) "
                  "(env WEFT_PROGRAM_MAX_CONTEXTS)");
  sub->add_option("--max-programs", s.max_programs,
                  "Programs that run at once; one more is refused with queue_full (default 4) "
                  "(env WEFT_MAX_PROGRAMS)");
  sub->add_option("--program-sandbox", s.program_sandbox,
                  "auto (every layer available), bwrap, node or none (docs/programs.md) "
                  "(env WEFT_PROGRAM_SANDBOX)");
  sub->add_option("--log-level", s.log_level,
                  "trace, debug, info, warn, error or off (default info) (env WEFT_LOG_LEVEL)");
  return {sub, [flags] { return serve(*flags); }};
}

}  // namespace weft::cli
