// weft as an Infernet engine (docs/engine-protocol.md): serves the commands of the engine
// protocol with a weft Backend. Generations run concurrently (the native backend batches
// them in its scheduler); each has a thread that turns its event stream into `token` and
// `done` lines. Every line goes out through one writer, whole, so lines never interleave.
//
// Threads: handle_line() is called from one thread (the stdin reader). Load runs there, so
// commands after a `load` see its model. The writer is called from that thread and from the
// generations' threads.
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "protocol/engine_protocol.hpp"
#include "sync/mutex.hpp"
#include "weft/backend.hpp"

namespace weft::engine {

struct EngineServerOptions {
  // Context length, threads and chat template applied to every model loaded.
  LoadOptions load;
  // Model names that are not files are looked for here (NAME.gguf, as `weft serve` lists
  // them); "" = names are not resolved.
  std::string models_dir;
  // Most generations in flight at once; a further `generate` is answered with an error.
  size_t max_generations = 256;
};

class EngineServer {
 public:
  // Sends one whole line (with its "\n"); returns false once the host is gone.
  using LineWriter = std::function<bool(const std::string& line)>;

  EngineServer(std::unique_ptr<Backend> backend, EngineServerOptions options, LineWriter writer);
  ~EngineServer();
  EngineServer(const EngineServer&) = delete;
  EngineServer& operator=(const EngineServer&) = delete;

  // Announces the engine: loads `model` first when given (ready {model}, or an engine-level
  // error), else ready {model: null} so that a host that sends no `load` can start.
  void start(const std::string& model);
  // Serves one line from the host; returns false after `shutdown`.
  bool handle_line(std::string_view line);
  // Cancels every generation in flight and waits for their threads.
  void stop();
  // Waits for the generations in flight to finish (the end of input: a pipe's last commands
  // are still answered, unless the host is gone too, which cancels them).
  void drain();
  // An engine-level error line, e.g. for input that never became a line.
  void report_error(std::string_view message);

  size_t generations_in_flight() const;

 private:
  struct Generation;

  bool serve(protocol::engine::Command command);
  void load(const std::string& requested);
  void generate(protocol::engine::GenerateCommand command);
  void cancel(const nlohmann::json& id);
  // Why a generate with this id cannot start now, if it cannot.
  std::optional<std::pair<ErrorCode, std::string>> refusal_for(const std::string& key) const;
  void pump(std::shared_ptr<Generation> generation);
  void reap_finished_threads();
  void cancel_all();
  void join_all();
  bool send(const std::string& line);

  std::unique_ptr<Backend> backend_;
  EngineServerOptions options_;
  sync::Mutex write_mutex_;  // one line at a time, from the reader and every generation
  LineWriter writer_ WEFT_GUARDED_BY(write_mutex_);
  std::atomic<bool> host_gone_{false};
  // The reader thread's own (load and generate run on it).
  std::optional<std::string> model_;  // as the host named it
  std::string model_path_;            // the file it resolved to
  std::string warned_model_;          // the last other model a generate named (warned once)

  mutable sync::Mutex mutex_;
  std::map<std::string, std::shared_ptr<Generation>> generations_
      WEFT_GUARDED_BY(mutex_);  // by id's JSON text
  std::list<std::pair<std::shared_ptr<Generation>, std::thread>> threads_ WEFT_GUARDED_BY(mutex_);
};

// A model the host named: an existing file as it is, else a name of the store in
// `models_dir` (a pulled name, or NAME/NAME.gguf of a plain file), else a Hugging Face or
// registry name, pulled into the store first (store::resolve_model_path). Throws weft::Error
// naming where it looked when none fits.
std::string resolve_model(const std::string& requested, const std::string& models_dir);

// The model store's directory: WEFT_MODELS, else WEFT_MODELS_DIR, else
// $XDG_DATA_HOME/weft/models, else ~/.local/share/weft/models ("" when none can be formed).
std::string default_models_dir();

// WEFT_MODEL, else INFERNET_ENGINE_MODEL, else "".
std::string model_from_environment();

}  // namespace weft::engine
