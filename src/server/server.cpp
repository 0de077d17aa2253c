#include "server/server.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <future>
#include <thread>

#include "backend/native_settings.hpp"
#include "server/admin_bus.hpp"
#include "server/daemon_stats.hpp"
#include "server/inferd_surfaces.hpp"
#include "server/inference_session.hpp"
#include "server/listeners.hpp"
#include "server/program_host.hpp"
#include "server/runtime_files.hpp"
#include "store/model_resolver.hpp"
#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::server {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// How often the `stats` frame is refreshed at most; it is only sent when a counter changed,
// so an idle daemon stays quiet and a finished request shows within this interval.
constexpr std::chrono::seconds kStatsInterval{1};
// After the drain timeout: how long cancelled generations have to deliver their last frames.
constexpr std::chrono::seconds kCancelGrace{1};

enum class Command { reload, drain };

// A model an HTTP request asked for: loaded by the next reload, which then answers.
struct ModelSwitch {
  std::string path;
  std::promise<bool> loaded;
};

// Signals arrive on the event loop; the lifecycle runs on the main thread.
class CommandQueue {
 public:
  void push(Command command) {
    sync::MutexLock lock(mutex_);
    commands_.push_back(command);
    changed_.notify_all();
  }
  Command pop() {
    sync::MutexLock lock(mutex_);
    while (commands_.empty()) lock.wait(changed_);
    Command command = commands_.front();
    commands_.pop_front();
    // A drain wins over reloads that were still waiting.
    for (Command later : commands_) {
      if (later == Command::drain) command = Command::drain;
    }
    if (command == Command::drain) commands_.clear();
    return command;
  }
  // Whether a drain is waiting, without taking it: a load cannot be interrupted, so the
  // lifecycle looks before and after one and skips `ready` when a drain came meanwhile.
  bool drain_pending() {
    sync::MutexLock lock(mutex_);
    return std::find(commands_.begin(), commands_.end(), Command::drain) != commands_.end();
  }

 private:
  sync::Mutex mutex_;
  std::condition_variable changed_;
  std::deque<Command> commands_ WEFT_GUARDED_BY(mutex_);
};

// Runs `work` on the event loop's thread and waits, so acceptors are only touched there.
template <typename Work>
void on_loop(asio::io_context& io, Work work) {
  std::packaged_task<void()> task(std::move(work));
  auto done = task.get_future();
  asio::post(io, [&task] { task(); });
  done.get();  // rethrows what `work` threw
}

bool is_regular_file(const std::string& path) {
  struct stat info {};
  return !path.empty() && ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

// The old model's tokenizer tables and metadata were many small blocks of malloc's heap,
// below the new model's: freed, they stayed resident (issue 19, a SmolLM2 reload: +10 to
// +20 MB each, back to the first load's figure once trimmed). A model still in use by
// running generations is freed later and trimmed at the next reload.
void return_freed_heap() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

class Daemon {
 public:
  explicit Daemon(ServerOptions options)
      : options_(std::move(options)),
        lock_(options_.config.runtime_dir, options_.config.inferd_compat
                                               ? protocol::kInferdLockFileName
                                               : protocol::kLockFileName),
        context_(io_, options_.config, options_.log),
        listeners_(context_, bus_, lock_.path_of(protocol::kAdminSocketName),
                   lock_.path_of(protocol::kInferenceSocketName), tcp_endpoint()),
        inferd_(context_, lock_.path_of(protocol::kV2SocketName),
                lock_.path_of(protocol::kEmbedSocketName)),
        signals_(io_, SIGTERM, SIGINT, SIGHUP),
        stats_timer_(io_),
        http_(make_http_server()) {}

  int run() {
    // Fail fast, before the admin socket and any model work, on what would stop `ready`.
    if (options_.config.inferd_compat) refuse_live_sockets();
    listeners_.check_inference_paths();
    inferd_.check_paths();
    // Listening from the start, so that /health answers 503 while the model loads.
    if (http_) context_.log(LogLevel::info, http_->start());
    listeners_.open_admin();
    bus_.publish_state("starting", {{"pid", ::getpid()}});
    wait_for_signals();
    schedule_stats();
    auto guard = asio::make_work_guard(io_);
    std::thread loop([this] { io_.run(); });
    int status = 0;
    try {
      serve_until_drained();
    } catch (...) {
      stop_loop(guard, loop);
      throw;
    }
    stop_loop(guard, loop);
    context_.log(LogLevel::info, "stopped");
    return status;
  }

 private:
  std::optional<asio::ip::tcp::endpoint> tcp_endpoint() const {
    if (options_.config.tcp.empty()) return std::nullopt;
    return parse_tcp_endpoint(options_.config.tcp, options_.config.allow_non_loopback);
  }

  // Under --inferd-compat the directory is inferd's: a live inferd started with its lock
  // elsewhere must not lose its sockets to the stale-socket cleanup.
  void refuse_live_sockets() {
    for (const char* name : {protocol::kAdminSocketName, protocol::kInferenceSocketName,
                             protocol::kV2SocketName, protocol::kEmbedSocketName}) {
      refuse_live_socket(lock_.path_of(name));
    }
  }

  // From an HTTP handler thread: queues a reload with `path` as the model and waits for it.
  // False when it failed (the old model stays) or a drain came first.
  bool switch_model(const std::string& path) {
    auto request = std::make_shared<ModelSwitch>();
    request->path = path;
    auto loaded = request->loaded.get_future();
    {
      sync::MutexLock lock(switch_mutex_);
      if (model_switch_) return false;  // another switch is under way: the caller retries
      model_switch_ = request;
    }
    context_.log(LogLevel::info, "http: loading model " + path + " on request");
    commands_.push(Command::reload);
    try {
      return loaded.get();
    } catch (const std::future_error&) {
      return false;  // drained before the reload ran
    }
  }

  std::shared_ptr<ModelSwitch> take_model_switch() {
    sync::MutexLock lock(switch_mutex_);
    return std::exchange(model_switch_, nullptr);
  }

  std::unique_ptr<Frontend> make_http_server() {
    if (!options_.http) return nullptr;
    FrontendHooks hooks;
    hooks.switch_model = [this](const std::string& path) { return switch_model(path); };
    return options_.http(context_, options_.config, std::move(hooks));
  }

  void wait_for_signals() {
    signals_.async_wait([this](std::error_code error, int signal) {
      if (error) return;
      if (signal == SIGHUP) {
        commands_.push(Command::reload);
      } else {
        commands_.push(Command::drain);
      }
      wait_for_signals();
    });
  }

  // Runs on the event loop. Nothing is published before a backend is loaded.
  void schedule_stats() {
    stats_timer_.expires_after(kStatsInterval);
    stats_timer_.async_wait([this](std::error_code error) {
      if (error) return;
      if (context_.backend()) {
        json stats = daemon_stats(context_);
        if (stats != last_stats_) {
          bus_.publish_stats(stats);
          last_stats_ = std::move(stats);
        }
      }
      schedule_stats();
    });
  }

  // Any state goes to draining (PROTOCOLS §2): a SIGTERM during a load skips `ready` and
  // never creates the inference socket.
  void serve_until_drained() {
    if (!commands_.drain_pending()) {
      ServeConfig config = options_.config;
      auto backend = load_backend(config);
      context_.set_backend(std::move(backend), config.model);
      if (!commands_.drain_pending()) {
        become_ready();
        while (commands_.pop() == Command::reload) {
          if (!reload()) break;
        }
      }
    }
    // A switch that never ran ends here: its waiter learns it did not happen.
    if (auto pending = take_model_switch()) pending->loaded.set_value(false);
    drain();
  }

  // Selection, loading and the loading_model phases; for the native backend `config.model`
  // becomes the GGUF file it names (a store name, pulled first when it is not in the store).
  // Throws weft::Error on failure.
  std::shared_ptr<Backend> load_backend(ServeConfig& config) {
    context_.set_lifecycle(Lifecycle::loading_model);
    auto selection = select_backend(
        options_.registry, SelectionInputs::from_environment(config.backend, config.model));
    // The KV cache type and speculation are settings of the native backend's construction,
    // so a reload with others gets a backend made with them.
    BackendRegistry registry = options_.registry;
    if (config.kv_type != "f16" || config.lookup != 0 || !config.draft.empty()) {
      // Only the native backend drafts; another one is not made to fail on the draft's name.
      std::string draft;
      if (!config.draft.empty() && selection.backend == "native") {
        store::ResolveOptions resolve;
        resolve.store_root = config.models_dir;
        draft = store::resolve_model_path(config.draft, resolve);
      } else if (!config.draft.empty()) {
        context_.log(LogLevel::warn, "draft " + config.draft +
                                         " is ignored: only the native backend drafts, and " +
                                         selection.backend + " was chosen");
      }
      backend::use_native_settings(registry, config.kv_type,
                                   {.ngram = config.lookup, .draft_tokens = config.draft_tokens},
                                   draft);
    }
    std::shared_ptr<Backend> backend = registry.create(selection.backend);
    context_.log(LogLevel::info, "backend " + selection.backend + " (" + selection.rule + ")");
    if (selection.backend == "native") {
      store::ResolveOptions resolve;
      resolve.store_root = config.models_dir;
      config.model = store::resolve_model_path(config.model, resolve);
    }
    LoadOptions load;
    load.model_path = config.model;
    load.context_length = config.context_length;
    load.chat_template_path = config.chat_template;
    load.threads = config.threads;
    load.gpu_layers = config.gpu_layers;
    load.prefix_cache = config.prefix_cache;
    bus_.publish_state("loading_model", {{"phase", "checking_local"}, {"path", config.model}});
    // Only a local file is mapped; remote backends take a model name, the stub nothing.
    if (is_regular_file(config.model)) {
      bus_.publish_state("loading_model", {{"phase", "mmap"}, {"path", config.model}});
    }
    backend->load(load);
    if (!config.chat_template.empty() && backend->name() != "native") {
      context_.log(LogLevel::warn, "chat_template " + config.chat_template +
                                       " is not used: only the native backend formats chat "
                                       "with a template; " +
                                       backend->name() + " does its own");
    }
    ModelInfo info = backend->model_info();
    uint32_t n_ctx = config.context_length.value_or(info.context_length);
    if (n_ctx > 0) bus_.publish_state("loading_model", {{"phase", "kv_cache"}, {"n_ctx", n_ctx}});
    json capabilities = capabilities_frame(*backend, config.gpu_layers);
    // `weft ps` shows a file under its store name; remote backends have no file.
    if (is_regular_file(config.model)) capabilities["model_path"] = config.model;
    bus_.publish_capabilities(capabilities);
    return backend;
  }

  void become_ready() {
    context_.set_lifecycle(Lifecycle::ready);
    if (auto* programs = context_.programs()) programs->accept();
    json detail = json::object();
    on_loop(io_, [this, &detail] {
      listeners_.open_inference();
      inferd_.open(context_.backend().get());
      if (auto tcp = listeners_.tcp_endpoint()) {
        detail["tcp"] = format_endpoint(*tcp);
      }
    });
    bus_.publish_state("ready", detail);
    context_.log(
        LogLevel::info,
        "ready on " + lock_.path_of(protocol::kInferenceSocketName) + ", " +
            lock_.path_of(protocol::kV2SocketName) +
            (inferd_.embeddings_open() ? ", " + lock_.path_of(protocol::kEmbedSocketName) : "") +
            (detail.contains("tcp") ? " and tcp " + detail["tcp"].get<std::string>() : ""));
  }

  // Returns false when a drain arrived before or during the load: the caller drains
  // without publishing `ready` again.
  bool reload() {
    context_.set_lifecycle(Lifecycle::restarting);
    bus_.publish_state("restarting");
    on_loop(io_, [this] {
      listeners_.close_inference();
      inferd_.close();
    });
    context_.log(LogLevel::info, "SIGHUP: reloading the model");
    // A program's contexts live on the model being replaced: stop them rather than wait.
    stop_programs(ProgramHandle::Stop::reloading);
    if (commands_.drain_pending()) return false;
    auto model_switch = take_model_switch();
    bool loaded = false;
    try {
      ServeConfig config = options_.reload_config ? options_.reload_config() : options_.config;
      if (model_switch) config.model = model_switch->path;
      // Generations still running keep the old backend alive through their shared_ptr.
      auto backend = load_backend(config);
      context_.set_backend(std::move(backend), config.model);
      loaded = true;
      return_freed_heap();
    } catch (const std::exception& error) {
      context_.log(LogLevel::error,
                   std::string("reload failed, keeping the loaded model: ") + error.what());
    }
    if (commands_.drain_pending()) {
      if (model_switch) model_switch->loaded.set_value(false);
      return false;
    }
    become_ready();
    // Answered once ready, so that the waiting request is served at once.
    if (model_switch) model_switch->loaded.set_value(loaded);
    return true;
  }

  void stop_programs(ProgramHandle::Stop why) {
    auto* programs = context_.programs();
    if (!programs) return;
    if (const size_t running = programs->running(); running > 0) {
      context_.log(LogLevel::info, "stopping " + std::to_string(running) + " running program(s)");
    }
    programs->stop_all(why);
  }

  bool idle() { return context_.admission().active() + context_.admission().queued() == 0; }

  bool wait_until_idle(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!idle()) {
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  void drain() {
    context_.set_lifecycle(Lifecycle::draining);
    bus_.publish_state("draining");
    on_loop(io_, [this] {
      listeners_.close_inference();
      inferd_.close();
    });
    // Programs may run for minutes and hold KV pages: they are stopped, not waited for.
    stop_programs(ProgramHandle::Stop::shutting_down);
    context_.log(LogLevel::info, "draining: waiting for in-flight requests");
    if (!wait_until_idle(options_.config.drain_timeout)) {
      context_.log(LogLevel::warn, "drain timeout passed: cancelling what is still running");
    }
    // Cancels what still runs, refuses what waits, closes connections once flushed. The
    // cancelled generations' last frames get a short grace; a reader that does not take them
    // is then cut off (which also frees a generation waiting for it to read), so the drain
    // ends within its timeout and the grace.
    for (auto& session : context_.sessions()) session->abort();
    if (http_) http_->cancel_generations();
    const auto grace = Clock::now() + kCancelGrace;
    while (!(context_.sessions().empty() && idle()) && Clock::now() < grace) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (auto& session : context_.sessions()) session->close_now();
    inferd_.close_connections();
    wait_until_idle(std::chrono::seconds(5));  // HTTP streams end on their own writes
    context_.workers().join_all();
    if (http_) http_->stop();
    bus_.finish_all(std::chrono::seconds(2));
  }

  void stop_loop(asio::executor_work_guard<asio::io_context::executor_type>& guard,
                 std::thread& loop) {
    try {
      on_loop(io_, [this] {
        listeners_.close_inference();
        inferd_.close();
        listeners_.close_admin();
        std::error_code ignored;
        signals_.cancel(ignored);
        stats_timer_.cancel();
      });
    } catch (const std::exception&) {
    }
    guard.reset();
    io_.stop();
    loop.join();
    context_.workers().join_all();
  }

  ServerOptions options_;
  RuntimeLock lock_;
  asio::io_context io_;
  ServerContext context_;
  AdminBus bus_;
  Listeners listeners_;
  InferdSurfaces inferd_;
  asio::signal_set signals_;
  CommandQueue commands_;
  asio::steady_timer stats_timer_;
  json last_stats_;  // event loop only
  sync::Mutex switch_mutex_;
  // A switch waiting for the next reload.
  std::shared_ptr<ModelSwitch> model_switch_ WEFT_GUARDED_BY(switch_mutex_);
  // Declared last: stopped (its handlers joined) before the context it uses goes away. Set
  // once, in the constructor.
  const std::unique_ptr<Frontend> http_;
};

}  // namespace

int run_server(ServerOptions options) {
  Daemon daemon(std::move(options));
  return daemon.run();
}

}  // namespace weft::server
