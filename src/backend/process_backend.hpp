// The `process` backend: generations served by an external engine binary that speaks the
// Infernet engine protocol v1 on its stdio (docs/engine-protocol.md) — weft-engine itself,
// or any other. Selected when WEFT_ENGINE_BIN names the binary.
//
// load() starts the engine and waits for its `ready`; generations stream through it,
// several at once, demultiplexed by id. When the engine dies, every generation in flight
// ends with an error, and the next request starts it again (loading the same model), no
// sooner than a backoff that doubles with each crash in a row (from restart_backoff up to
// restart_backoff_max; an engine that completed a generation resets it). unload() and the
// destructor shut the engine down (see EngineProcess).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "backend/engine_process.hpp"
#include "sync/mutex.hpp"
#include "weft/backend.hpp"

namespace weft::backend {

struct ProcessConfig {
  EngineProcessOptions engine;  // engine.binary from WEFT_ENGINE_BIN
  std::chrono::milliseconds load_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds restart_backoff{250};
  std::chrono::milliseconds restart_backoff_max{std::chrono::seconds(30)};

  static ProcessConfig from_environment();
};

class ProcessBackend : public Backend {
 public:
  explicit ProcessBackend(ProcessConfig config = ProcessConfig::from_environment());
  ~ProcessBackend() override;

  std::string name() const override { return "process"; }
  // Available when the binary is set and can be executed (a path, or a name in PATH).
  Availability available() const override;
  // Starts the engine and sends `load {model_path}` (nothing when it is empty: the engine's
  // own model), then waits for `ready`. Throws weft::Error with the engine's reason.
  void load(const LoadOptions& options) override;
  void unload() override;
  ModelInfo model_info() const override;
  std::vector<std::string> list_models() override;
  GenerationStream generate(const GenerationRequest& request) override;

  // The running engine's process id, or -1 (tests).
  pid_t engine_pid() const;

 private:
  // The engine to send to (the running one, or a restarted one) and the model it was asked
  // to load; no engine, with the reason, when there is none to use now.
  std::shared_ptr<EngineProcess> engine_for_request(std::string& model, std::string& why_not);

  ProcessConfig config_;
  mutable sync::Mutex mutex_;
  std::shared_ptr<EngineProcess> engine_ WEFT_GUARDED_BY(mutex_);
  bool loaded_ WEFT_GUARDED_BY(mutex_) = false;
  std::string model_;  // as given to load ("" = the engine's own)
  ModelInfo info_ WEFT_GUARDED_BY(mutex_);
  uint32_t crashes_in_a_row_ WEFT_GUARDED_BY(mutex_) = 0;
  std::chrono::steady_clock::time_point last_start_ WEFT_GUARDED_BY(mutex_){};
};

}  // namespace weft::backend
