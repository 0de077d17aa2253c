#include "engine/engine_server.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "store/model_resolver.hpp"
#include "store/model_store.hpp"
#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::engine {

// The codec of the protocol this server speaks (docs/engine-protocol.md).
namespace wire = protocol::engine;

namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string id_key(const nlohmann::json& id) {
  return id.dump();
}

}  // namespace

struct EngineServer::Generation {
  nlohmann::json id;
  GenerationStream stream;
  std::atomic<bool> finished{false};

  Generation(nlohmann::json id_value, GenerationStream stream_value)
      : id(std::move(id_value)), stream(std::move(stream_value)) {}
};

std::string default_models_dir() {
  try {
    return store::ModelStore::default_root();
  } catch (const Error&) {
    return "";
  }
}

std::string model_from_environment() {
  if (auto model = env_or_empty("WEFT_MODEL"); !model.empty()) return model;
  return env_or_empty("INFERNET_ENGINE_MODEL");
}

std::string resolve_model(const std::string& requested, const std::string& models_dir) {
  // Pull progress goes to stderr: stdout carries the protocol.
  store::ResolveOptions options;
  options.store_root = models_dir;
  options.progress = stderr;
  return store::resolve_model_path(requested, options);
}

EngineServer::EngineServer(std::unique_ptr<Backend> backend, EngineServerOptions options,
                           LineWriter writer)
    : backend_(std::move(backend)), options_(std::move(options)), writer_(std::move(writer)) {}

EngineServer::~EngineServer() {
  stop();
}

bool EngineServer::send(const std::string& line) {
  {
    sync::MutexLock lock(write_mutex_);
    if (!host_gone_ && writer_(line)) return true;
  }
  // Nobody reads the answers any more: generating them would only hold the model.
  if (!host_gone_.exchange(true)) cancel_all();
  return false;
}

void EngineServer::report_error(std::string_view message) {
  send(wire::encode_error(std::nullopt, message));
}

size_t EngineServer::generations_in_flight() const {
  sync::MutexLock lock(mutex_);
  return generations_.size();
}

void EngineServer::start(const std::string& model) {
  if (model.empty()) {
    send(wire::encode_ready(std::nullopt));
    return;
  }
  load(model);
}

bool EngineServer::handle_line(std::string_view line) {
  reap_finished_threads();
  wire::Command command = wire::decode_command(line);
  std::optional<nlohmann::json> id;
  if (auto* generate_command = std::get_if<wire::GenerateCommand>(&command))
    id = generate_command->id;
  try {
    return serve(std::move(command));
  } catch (const std::exception& error) {
    // E.g. no thread to be had: the engine reports it and goes on with the next line.
    send(wire::encode_error(id, std::string("internal error: ") + error.what(),
                            ErrorCode::internal));
    return true;
  }
}

bool EngineServer::serve(wire::Command command) {
  if (auto* bad = std::get_if<wire::BadCommand>(&command)) {
    send(wire::encode_error(bad->id, bad->message, ErrorCode::invalid_request));
  } else if (auto* load_command = std::get_if<wire::LoadCommand>(&command)) {
    load(load_command->model);
  } else if (auto* generate_command = std::get_if<wire::GenerateCommand>(&command)) {
    generate(std::move(*generate_command));
  } else if (auto* cancel_command = std::get_if<wire::CancelCommand>(&command)) {
    cancel(cancel_command->id);
  } else if (std::holds_alternative<wire::ShutdownCommand>(command)) {
    return false;
  }
  return true;
}

void EngineServer::load(const std::string& requested) {
  try {
    const std::string path = resolve_model(requested, options_.models_dir);
    if (!model_ || path != model_path_) {
      const auto started = std::chrono::steady_clock::now();
      LoadOptions load_options = options_.load;
      load_options.model_path = path;
      model_.reset();
      backend_->load(load_options);
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      const ModelInfo info = backend_->model_info();
      send(wire::encode_log("info", "loaded " + path + " (" + info.architecture + ", context " +
                                        std::to_string(info.context_length) + ") in " +
                                        std::to_string(took.count()) + " ms"));
      model_path_ = path;
    }
    model_ = requested;
    send(wire::encode_ready(model_));
  } catch (const std::exception& error) {
    send(wire::encode_error(std::nullopt, "cannot load model '" + requested + "': " + error.what(),
                            ErrorCode::invalid_request));
  }
}

void EngineServer::generate(wire::GenerateCommand command) {
  const std::string key = id_key(command.id);
  if (!model_ && !command.model.empty()) load(command.model);
  if (!model_) {
    send(wire::encode_error(command.id,
                            "no model is loaded: send load {model} first, or set WEFT_MODEL",
                            ErrorCode::backend_unavailable));
    return;
  }
  if (!command.model.empty() && command.model != *model_ && command.model != warned_model_) {
    warned_model_ = command.model;
    send(wire::encode_log("warn",
                          "generate names model '" + command.model + "' but '" + *model_ +
                              "' is loaded; it serves the generation (send load to switch)"));
  }
  if (auto refusal = refusal_for(key)) {
    send(wire::encode_error(command.id, refusal->second, refusal->first));
    return;
  }
  // meta goes out before the generation's thread can send its first token.
  send(wire::encode_meta(command.id, *model_, wire::utc_timestamp_now()));
  command.request.id = command.id.is_string() ? command.id.get<std::string>() : key;
  auto generation = std::make_shared<Generation>(command.id, backend_->generate(command.request));
  sync::MutexLock lock(mutex_);
  // Started under the lock, which the thread's last step needs: it cannot end before it is
  // registered. A thread that cannot start throws before anything is registered.
  std::thread thread([this, generation] { pump(generation); });
  generations_[key] = generation;
  threads_.emplace_back(generation, std::move(thread));
}

std::optional<std::pair<ErrorCode, std::string>> EngineServer::refusal_for(
    const std::string& key) const {
  sync::MutexLock lock(mutex_);
  if (generations_.count(key)) {
    return std::pair{ErrorCode::invalid_request, "generation " + key + " is already in flight"};
  }
  if (generations_.size() >= options_.max_generations) {
    return std::pair{ErrorCode::queue_full, "too many generations in flight (at most " +
                                                std::to_string(options_.max_generations) + ")"};
  }
  return std::nullopt;
}

void EngineServer::pump(std::shared_ptr<Generation> generation) {
  std::string text;
  while (auto event = generation->stream.next()) {
    if (auto* token = std::get_if<TokenEvent>(&*event)) {
      if (token->text.empty()) continue;
      text += token->text;
      send(wire::encode_token(generation->id, token->text));
    } else if (auto* done = std::get_if<DoneEvent>(&*event)) {
      if (done->reason == StopReason::error) {
        send(wire::encode_error(generation->id, "the generation failed", ErrorCode::internal));
      } else {
        send(wire::encode_done(generation->id, done->reason, text, done->usage));
      }
    } else if (auto* error = std::get_if<ErrorEvent>(&*event)) {
      send(wire::encode_error(generation->id, error->message, error->code));
    }
  }
  {
    sync::MutexLock lock(mutex_);
    auto found = generations_.find(id_key(generation->id));
    if (found != generations_.end() && found->second == generation) generations_.erase(found);
  }
  generation->finished = true;
}

void EngineServer::cancel(const nlohmann::json& id) {
  std::shared_ptr<Generation> generation;
  {
    sync::MutexLock lock(mutex_);
    auto found = generations_.find(id_key(id));
    if (found == generations_.end()) return;  // finished already: its done is on its way
    generation = found->second;
  }
  generation->stream.cancel();
}

void EngineServer::reap_finished_threads() {
  std::list<std::pair<std::shared_ptr<Generation>, std::thread>> finished;
  {
    sync::MutexLock lock(mutex_);
    for (auto it = threads_.begin(); it != threads_.end();) {
      auto next = std::next(it);
      if (it->first->finished) finished.splice(finished.end(), threads_, it);
      it = next;
    }
  }
  for (auto& [generation, thread] : finished) thread.join();
}

void EngineServer::cancel_all() {
  std::vector<std::shared_ptr<Generation>> running;
  {
    sync::MutexLock lock(mutex_);
    for (auto& [key, generation] : generations_) running.push_back(generation);
  }
  for (auto& generation : running) generation->stream.cancel();
}

void EngineServer::join_all() {
  std::list<std::pair<std::shared_ptr<Generation>, std::thread>> running;
  {
    sync::MutexLock lock(mutex_);
    running.swap(threads_);
  }
  for (auto& [generation, thread] : running) thread.join();
}

void EngineServer::stop() {
  cancel_all();
  join_all();
}

void EngineServer::drain() {
  join_all();
}

}  // namespace weft::engine
