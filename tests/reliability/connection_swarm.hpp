// Many NDJSON connections to one daemon, driven from a single thread with poll(): each sends
// its request lines at once (pipelined), and every frame it receives is kept with the
// connection it came on, so a test can check that each request got exactly one terminal
// frame, on its own connection, with its own answer.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace weft::testing {

// The id of request `request` on connection `connection`: "c3-r1".
inline std::string swarm_request_id(size_t connection, int request) {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
  std::string id = "c";
  id += std::to_string(connection);
  id += "-r";
  id += std::to_string(request);
  return id;
}

class ConnectionSwarm {
 public:
  struct Connection {
    int fd = -1;
    std::string outgoing;  // request lines not yet written
    std::string incoming;  // bytes after the last complete frame
    std::vector<nlohmann::json> frames;
    std::vector<std::string> malformed;  // lines that were not JSON objects
    bool closed_by_daemon = false;
    size_t terminal_frames() const;
  };

  // Connects `count` Unix sockets to `path`; a failed connect fails the test.
  ConnectionSwarm(const std::string& path, size_t count);
  ~ConnectionSwarm();
  ConnectionSwarm(const ConnectionSwarm&) = delete;
  ConnectionSwarm& operator=(const ConnectionSwarm&) = delete;

  void queue(size_t connection, const std::string& lines);
  // Writes and reads until `finished` holds for every connection (one that the daemon closed
  // counts as finished), calling `tick` about every 10 ms. False when `patience` ran out.
  bool run(const std::function<bool(const Connection&)>& finished,
           std::chrono::milliseconds patience, const std::function<void()>& tick = {});
  const std::vector<Connection>& connections() const { return connections_; }

 private:
  void write_some(Connection& connection);
  void read_some(Connection& connection);
  std::vector<Connection> connections_;
};

}  // namespace weft::testing
