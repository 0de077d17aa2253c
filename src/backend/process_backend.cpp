#include "backend/process_backend.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <sstream>
#include <string_view>
#include <system_error>

#include "backend/option_support.hpp"
#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::backend {
namespace {

bool is_executable_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

// posix_spawnp's lookup: a name with a slash is a path, else each PATH entry is tried.
bool can_execute(const std::string& binary) {
  if (binary.find('/') != std::string::npos) return is_executable_file(binary);
  const char* path = std::getenv("PATH");
  std::stringstream entries(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(entries, dir, ':');) {
    if (is_executable_file((dir.empty() ? "." : dir) + "/" + binary)) return true;
  }
  return false;
}

}  // namespace

ProcessConfig ProcessConfig::from_environment() {
  ProcessConfig config;
  if (const char* binary = std::getenv("WEFT_ENGINE_BIN")) config.engine.binary = binary;
  if (const char* text = std::getenv("WEFT_ENGINE_STALL_TIMEOUT_MS"); text && *text) {
    constexpr int64_t kMost = 24LL * 3600 * 1000;
    const std::string_view value(text);
    int64_t milliseconds = 0;
    const auto [end, problem] =
        std::from_chars(value.data(), value.data() + value.size(), milliseconds);
    if (problem != std::errc() || end != value.data() + value.size() || milliseconds < 1 ||
        milliseconds > kMost) {
      throw Error(ErrorCode::invalid_request,
                  "WEFT_ENGINE_STALL_TIMEOUT_MS must be a whole number of milliseconds from 1 "
                  "to " +
                      std::to_string(kMost) + ", not '" + std::string(value) + "'");
    }
    config.engine.stall_timeout = std::chrono::milliseconds(milliseconds);
  }
  return config;
}

ProcessBackend::ProcessBackend(ProcessConfig config) : config_(std::move(config)) {}

ProcessBackend::~ProcessBackend() {
  unload();
}

Availability ProcessBackend::available() const {
  if (config_.engine.binary.empty()) {
    return {false, "no engine binary: set WEFT_ENGINE_BIN to one that speaks the engine protocol"};
  }
  if (!can_execute(config_.engine.binary)) {
    return {false, "the engine binary '" + config_.engine.binary +
                       "' (WEFT_ENGINE_BIN) is not "
                       "an executable file"};
  }
  return {true, {}};
}

void ProcessBackend::load(const LoadOptions& options) {
  unload();
  if (auto availability = available(); !availability.available) {
    throw Error(ErrorCode::backend_unavailable, availability.reason);
  }
  auto engine = EngineProcess::spawn(config_.engine);
  std::optional<std::string> model;
  if (!options.model_path.empty()) {
    engine->send_load(options.model_path);
    model = engine->wait_ready(options.model_path, 0, 0, config_.load_timeout);
  } else {
    model = engine->wait_ready(std::nullopt, 0, 0, config_.load_timeout);
  }
  ModelInfo info;
  info.name = model.value_or(options.model_path.empty() ? config_.engine.binary : *model);
  info.architecture = "engine";
  info.has_chat_template = true;  // the engine formats the conversation itself
  sync::MutexLock lock(mutex_);
  engine_ = std::move(engine);
  loaded_ = true;
  model_ = options.model_path;
  info_ = std::move(info);
  crashes_in_a_row_ = 0;
  last_start_ = std::chrono::steady_clock::now();
}

void ProcessBackend::unload() {
  std::shared_ptr<EngineProcess> engine;
  {
    sync::MutexLock lock(mutex_);
    engine = std::move(engine_);
    loaded_ = false;
  }
  engine.reset();  // shuts the engine down, outside the lock
}

ModelInfo ProcessBackend::model_info() const {
  sync::MutexLock lock(mutex_);
  return info_;
}

std::vector<std::string> ProcessBackend::list_models() {
  sync::MutexLock lock(mutex_);
  if (!loaded_) return {};
  return {info_.name};
}

pid_t ProcessBackend::engine_pid() const {
  sync::MutexLock lock(mutex_);
  return engine_ && engine_->alive() ? engine_->pid() : -1;
}

std::shared_ptr<EngineProcess> ProcessBackend::engine_for_request(std::string& model,
                                                                  std::string& why_not) {
  std::shared_ptr<EngineProcess> dead;  // destroyed after the lock is released
  sync::MutexLock lock(mutex_);
  if (!loaded_) {
    why_not = "the process backend has no engine running: load a model first";
    return nullptr;
  }
  model = model_;
  if (engine_ && engine_->alive()) return engine_;
  if (engine_) {
    crashes_in_a_row_ = engine_->completed_generations() > 0 ? 1 : crashes_in_a_row_ + 1;
    why_not = "the engine '" + config_.engine.binary + "' " + engine_->exit_description();
    dead = std::move(engine_);
  }
  const auto now = std::chrono::steady_clock::now();
  const uint32_t doublings =
      std::min<uint32_t>(crashes_in_a_row_ > 0 ? crashes_in_a_row_ - 1 : 0, 16);
  const std::chrono::milliseconds backoff = std::min<std::chrono::milliseconds>(
      config_.restart_backoff * (int64_t{1} << doublings), config_.restart_backoff_max);
  if (now - last_start_ < backoff) {
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(backoff - (now - last_start_));
    why_not = (why_not.empty() ? "the engine '" + config_.engine.binary + "' stopped" : why_not) +
              "; it is started again after " + std::to_string(wait.count()) + " ms (crash " +
              std::to_string(crashes_in_a_row_) + " in a row)";
    return nullptr;
  }
  last_start_ = now;
  try {
    engine_ = EngineProcess::spawn(config_.engine);
  } catch (const Error& error) {
    ++crashes_in_a_row_;
    why_not = error.what();
    return nullptr;
  }
  // Sent before the generate, which the engine serves after the load.
  if (!model_.empty()) engine_->send_load(model_);
  return engine_;
}

GenerationStream ProcessBackend::generate(const GenerationRequest& request) {
  GenerationChannel channel(name());
  GenerationStream stream(channel.state());
  if (auto unsupported = unsupported_native_only_option(request.options, name())) {
    channel.error(ErrorCode::invalid_request, *unsupported);
    return stream;
  }
  if (!request.tools_json.empty()) {
    channel.error(ErrorCode::invalid_request,
                  "the process backend cannot pass tools: the engine protocol has none");
    return stream;
  }
  std::string model;
  std::string why_not;
  auto engine = engine_for_request(model, why_not);
  if (!engine) {
    channel.error(ErrorCode::backend_unavailable, why_not);
    return stream;
  }
  GenerationRequest sent = request;
  if (sent.model.empty()) sent.model = model;
  engine->start_generation(sent, channel);
  return stream;
}

}  // namespace weft::backend
