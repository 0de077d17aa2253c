#include "reliability/connection_swarm.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace weft::testing {

size_t ConnectionSwarm::Connection::terminal_frames() const {
  size_t count = 0;
  for (const auto& frame : frames) {
    const auto type = frame.value("type", "");
    if (type == "done" || type == "error") ++count;
  }
  return count;
}

ConnectionSwarm::ConnectionSwarm(const std::string& path, size_t count) : connections_(count) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  for (auto& connection : connections_) {
    connection.fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    // A full listen backlog answers EAGAIN on a non-blocking Unix socket: retry briefly.
    int result = -1;
    for (int attempt = 0; attempt < 2000; ++attempt) {
      result = ::connect(connection.fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
      if (result == 0 || errno != EAGAIN) break;
      ::usleep(5000);
    }
    EXPECT_EQ(result, 0) << "connect: " << std::strerror(errno);
  }
}

ConnectionSwarm::~ConnectionSwarm() {
  for (auto& connection : connections_) {
    if (connection.fd >= 0) ::close(connection.fd);
  }
}

void ConnectionSwarm::queue(size_t connection, const std::string& lines) {
  connections_[connection].outgoing += lines;
}

void ConnectionSwarm::write_some(Connection& connection) {
  while (!connection.outgoing.empty()) {
    ssize_t sent =
        ::send(connection.fd, connection.outgoing.data(), connection.outgoing.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) connection.outgoing.clear();  // closed: the read side tells
      return;
    }
    connection.outgoing.erase(0, static_cast<size_t>(sent));
  }
}

void ConnectionSwarm::read_some(Connection& connection) {
  char buffer[16 * 1024];
  while (true) {
    ssize_t got = ::recv(connection.fd, buffer, sizeof(buffer), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) break;
    if (got <= 0) {
      connection.closed_by_daemon = true;
      break;
    }
    connection.incoming.append(buffer, static_cast<size_t>(got));
  }
  size_t start = 0;
  for (size_t end; (end = connection.incoming.find('\n', start)) != std::string::npos;
       start = end + 1) {
    std::string line = connection.incoming.substr(start, end - start);
    auto frame = nlohmann::json::parse(line, nullptr, false);
    if (frame.is_object()) {
      connection.frames.push_back(std::move(frame));
    } else {
      connection.malformed.push_back(std::move(line));
    }
  }
  connection.incoming.erase(0, start);
}

bool ConnectionSwarm::run(const std::function<bool(const Connection&)>& finished,
                          std::chrono::milliseconds patience, const std::function<void()>& tick) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  std::vector<pollfd> polled;
  std::vector<Connection*> owners;
  while (std::chrono::steady_clock::now() < deadline) {
    polled.clear();
    owners.clear();
    for (auto& connection : connections_) {
      if (connection.closed_by_daemon || finished(connection)) continue;
      const short events = connection.outgoing.empty() ? POLLIN : (POLLIN | POLLOUT);
      polled.push_back({connection.fd, events, 0});
      owners.push_back(&connection);
    }
    if (polled.empty()) return true;
    const int ready = ::poll(polled.data(), polled.size(), 10);
    for (size_t i = 0; ready > 0 && i < polled.size(); ++i) {
      if (polled[i].revents & POLLOUT) write_some(*owners[i]);
      if (polled[i].revents & (POLLIN | POLLHUP | POLLERR)) read_some(*owners[i]);
    }
    if (tick) tick();
  }
  return false;
}

}  // namespace weft::testing
