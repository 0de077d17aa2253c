// The C++ client of weft's daemon (inferd protocol v1, docs/protocol.md): dial the
// inference socket (Unix or TCP, optionally with an API key), stream a generation's
// frames, wait for a daemon to become ready, and follow the admin socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "weft/events.hpp"
#include "weft/export.hpp"
#include "weft/types.hpp"

namespace weft::client {

// Where a daemon listens. Text forms: "/path/infer.sock" or "unix:/path" (Unix socket),
// "tcp://host:port" or "host:port" (TCP).
struct WEFT_EXPORT Address {
  enum class Kind { unix_socket, tcp };
  Kind kind = Kind::unix_socket;
  std::string path;  // unix_socket
  std::string host;  // tcp
  uint16_t port = 0;

  // Throws weft::Error(invalid_request) for a malformed address.
  static Address parse(std::string_view text);
  static Address unix_socket(std::string path);
  static Address tcp(std::string host, uint16_t port);
  std::string to_string() const;
};

// The runtime directory and the default socket paths (resolved from the environment).
WEFT_EXPORT std::string default_runtime_dir();
WEFT_EXPORT Address default_inference_address();
WEFT_EXPORT std::string default_admin_socket_path();

// One frame from the daemon. Fields that a frame type does not carry stay empty.
struct WEFT_EXPORT Frame {
  enum class Type { token, done, error, status, unknown };
  Type type = Type::unknown;
  std::string type_name;
  std::string id;
  std::string content;      // token: incremental text; done: the full text
  Usage usage;              // done
  std::string stop_reason;  // done
  std::string backend;      // done
  std::string code;         // error
  std::string message;      // error
  std::string status;       // status
  std::string raw;          // the whole line, for keys this struct does not name

  bool terminal() const { return type == Type::done || type == Type::error; }
};

class Connection;

// A generation's frames, read in order until its terminal `done` or `error`.
class WEFT_EXPORT FrameStream {
 public:
  explicit FrameStream(std::shared_ptr<Connection> connection);
  // Blocks for the next frame; nullopt after the terminal frame. Throws weft::Error if
  // the connection breaks first.
  std::optional<Frame> next();
  // Cancels the generation the only way the protocol knows: by closing the connection.
  void cancel();

 private:
  std::shared_ptr<Connection> connection_;
  bool finished_ = false;
  bool any_frame_ = false;  // a close before the first frame may mean a rejected API key
};

class Client;
WEFT_EXPORT Client dial_and_wait_ready(const struct Address& address,
                                       std::chrono::milliseconds timeout,
                                       const std::string& api_key);

class WEFT_EXPORT Client {
 public:
  // Connects once. A TCP connection with a key sends the auth line first. Throws
  // weft::Error(backend_unavailable) when nobody listens, naming the address and errno.
  static Client dial(const Address& address, const std::string& api_key = {});

  // Sends one request; read its frames from the stream before the next generate().
  FrameStream generate(const GenerationRequest& request);
  // Sends one raw line (tests and tools that speak the wire directly).
  void send_line(std::string_view line);
  FrameStream frames();
  void close();

 private:
  friend Client dial_and_wait_ready(const Address& address, std::chrono::milliseconds timeout,
                                    const std::string& api_key);
  explicit Client(std::shared_ptr<Connection> connection);
  std::shared_ptr<Connection> connection_;
};

// Whether a failed connect is worth retrying (PROTOCOLS §1): refused, not found, timed
// out and address not available are; everything else (permission denied, malformed
// address…) fails at once.
WEFT_EXPORT bool is_transient_connect_error(int errno_value);

// Retries the connect with backoff 100 ms, doubling, capped at 5 s, until `timeout` has
// passed; throws weft::Error(backend_unavailable) then, or at once on a permanent error.
WEFT_EXPORT Client dial_and_wait_ready(const Address& address, std::chrono::milliseconds timeout,
                                       const std::string& api_key);
inline Client dial_and_wait_ready(const Address& address, std::chrono::milliseconds timeout) {
  return dial_and_wait_ready(address, timeout, std::string());
}

// Admin socket events (docs/protocol.md §2). Unknown states and phases keep their text.
struct WEFT_EXPORT AdminEvent {
  std::string status;  // "capabilities", "starting", "loading_model", "ready", …
  std::string phase;   // loading_model: "checking_local", "mmap", "kv_cache", …
  std::optional<std::string> path;
  std::optional<uint64_t> n_ctx;
  // capabilities
  std::string backend;
  bool vision = false, audio = false, tools = false, thinking = false, embed = false;
  std::string accelerator;
  int32_t gpu_layers = 0;
  // stats (weft extension): the daemon's admission counters and, for the native backend,
  // its KV cache counters; absent keys stay unset.
  std::optional<uint64_t> active_requests, queued_requests;
  struct KvStats {
    uint64_t pages_in_use = 0, pages_committed = 0, pages_capacity = 0, pages_cached = 0;
    uint64_t prompt_tokens_cached = 0, prompt_tokens_computed = 0;
    uint64_t live = 0, waiting = 0;
  };
  std::optional<KvStats> kv;
  std::string raw;  // the whole frame

  bool is_capabilities() const { return status == "capabilities"; }
  bool is_stats() const { return status == "stats"; }
};

class WEFT_EXPORT AdminClient {
 public:
  // Throws weft::Error(backend_unavailable) when no daemon is there.
  static AdminClient connect(const std::string& socket_path = default_admin_socket_path());
  // Blocks for the next event; nullopt when the daemon closed the connection.
  std::optional<AdminEvent> next();
  // As next(), but gives up after `timeout` (returns nullopt, connection stays usable).
  std::optional<AdminEvent> next_for(std::chrono::milliseconds timeout);
  bool closed() const;

 private:
  explicit AdminClient(std::shared_ptr<Connection> connection);
  std::shared_ptr<Connection> connection_;
};

}  // namespace weft::client
