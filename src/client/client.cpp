#include <cerrno>
#include <thread>

#include "client/connection.hpp"
#include "protocol/request_codec.hpp"
#include "protocol/response_codec.hpp"
#include "weft/client.hpp"
#include "weft/error.hpp"

namespace weft::client {

FrameStream::FrameStream(std::shared_ptr<Connection> connection)
    : connection_(std::move(connection)) {}

namespace {

// A TCP daemon with an API key closes the connection without a frame when the key is
// missing or wrong (PROTOCOLS §1), so say so where that is the likely cause.
std::string key_hint(const Address& address) {
  if (address.kind != Address::Kind::tcp) return "";
  return "; a TCP daemon that requires an API key does this when the key is missing or "
         "wrong (weft run --api-key KEY)";
}

}  // namespace

std::optional<Frame> FrameStream::next() {
  if (finished_) return std::nullopt;
  auto line = connection_->read_line();
  if (!line) {
    finished_ = true;
    const Address& address = connection_->address();
    throw Error(ErrorCode::backend_unavailable,
                any_frame_ ? "daemon at " + address.to_string() +
                                 " closed the connection before the request finished"
                           : "daemon at " + address.to_string() +
                                 " closed the connection without answering" + key_hint(address));
  }
  any_frame_ = true;
  Frame frame = protocol::decode_response(*line);
  if (frame.terminal()) finished_ = true;
  return frame;
}

void FrameStream::cancel() {
  finished_ = true;
  connection_->close();
}

Client::Client(std::shared_ptr<Connection> connection) : connection_(std::move(connection)) {}

Client Client::dial(const Address& address, const std::string& api_key) {
  std::shared_ptr<Connection> connection;
  try {
    connection = Connection::open(address);
  } catch (const ConnectFailure& failure) {
    throw Error(ErrorCode::backend_unavailable, failure.message);
  }
  if (address.kind == Address::Kind::tcp && !api_key.empty()) {
    connection->write_all(protocol::encode_auth(api_key));
  }
  return Client(std::move(connection));
}

FrameStream Client::generate(const GenerationRequest& request) {
  for (const auto& message : request.messages) {
    if (message.role == Role::tool) {
      throw Error(ErrorCode::invalid_request, "inferd protocol v1 has no 'tool' role");
    }
  }
  try {
    connection_->write_all(protocol::encode_request(request));
  } catch (const Error& error) {
    throw Error(error.code(), error.what() + key_hint(connection_->address()));
  }
  return FrameStream(connection_);
}

void Client::send_line(std::string_view line) {
  connection_->write_all(line);
}

FrameStream Client::frames() {
  return FrameStream(connection_);
}

void Client::close() {
  connection_->close();
}

bool is_transient_connect_error(int errno_value) {
  return errno_value == ECONNREFUSED || errno_value == ENOENT || errno_value == ETIMEDOUT ||
         errno_value == EADDRNOTAVAIL;
}

RetryClock RetryClock::real() {
  return {[] { return std::chrono::steady_clock::now(); },
          [](std::chrono::milliseconds pause) { std::this_thread::sleep_for(pause); }};
}

std::shared_ptr<Connection> open_when_ready(const Address& address,
                                            std::chrono::milliseconds timeout,
                                            const std::string& api_key, const RetryClock& clock) {
  const auto deadline = clock.now() + timeout;
  std::chrono::milliseconds backoff(100);
  const std::chrono::milliseconds max_backoff(5000);
  while (true) {
    try {
      auto connection = Connection::open(address);
      if (address.kind == Address::Kind::tcp && !api_key.empty()) {
        connection->write_all(protocol::encode_auth(api_key));
      }
      return connection;
    } catch (const ConnectFailure& failure) {
      if (!is_transient_connect_error(failure.errno_value)) {
        throw Error(ErrorCode::backend_unavailable, failure.message);
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.now());
      if (left.count() <= 0) {
        throw Error(ErrorCode::backend_unavailable, failure.message + " (gave up after " +
                                                        std::to_string(timeout.count()) + " ms)");
      }
      clock.sleep(std::min(backoff, left));
      backoff = std::min(backoff * 2, max_backoff);
    }
  }
}

Client dial_and_wait_ready(const Address& address, std::chrono::milliseconds timeout,
                           const std::string& api_key) {
  return Client(open_when_ready(address, timeout, api_key, RetryClock::real()));
}

}  // namespace weft::client
