#include "server/listeners.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "server/listen_backlog.hpp"
#include "weft/error.hpp"

namespace weft::server {
namespace {

TEST(Listeners, EndpointsAreWrittenTheWayParseTcpEndpointReadsThem) {
  EXPECT_EQ(format_endpoint({asio::ip::make_address("127.0.0.1"), 47321}), "127.0.0.1:47321");
  EXPECT_EQ(format_endpoint({asio::ip::make_address("::1"), 36455}), "[::1]:36455");
  auto round_trip =
      parse_tcp_endpoint(format_endpoint({asio::ip::make_address("::1"), 36455}), false);
  EXPECT_EQ(round_trip.address(), asio::ip::make_address("::1"));
  EXPECT_EQ(round_trip.port(), 36455);
}

// std::stoul would wrap "-1" around to a huge number and call it too large.
TEST(Listeners, ASignedOrNonNumericPortIsNamedAsSuch) {
  for (std::string port : {"-1", "+80", "", "80x", " 80", "65536", "99999999999999999999"}) {
    try {
      parse_tcp_endpoint("127.0.0.1:" + port, false);
      ADD_FAILURE() << "accepted port '" << port << "'";
    } catch (const Error& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("port '" + port + "' is not a whole number from 0 to 65535"),
                std::string::npos)
          << message;
    }
  }
  EXPECT_EQ(parse_tcp_endpoint("127.0.0.1:0", false).port(), 0);
  EXPECT_EQ(parse_tcp_endpoint("127.0.0.1:65535", false).port(), 65535);
}

// Connections a closing listener has not accepted yet are taken in rather than reset: each
// is handed over with what its client already wrote.
template <typename Acceptor, typename Endpoint>
void expect_backlog_taken_in(asio::io_context& io, Acceptor& acceptor, const Endpoint& endpoint) {
  using Socket = typename Acceptor::protocol_type::socket;
  std::vector<Socket> clients;
  for (char name : std::string("abc")) {
    clients.emplace_back(io);
    clients.back().connect(endpoint);  // completes in the kernel: nothing accepts yet
    asio::write(clients.back(), asio::buffer(&name, 1));
  }
  std::string greetings;
  accept_backlog(acceptor, [&](Socket socket) {
    char byte = 0;
    socket.non_blocking(false);
    asio::read(socket, asio::buffer(&byte, 1));
    greetings += byte;
  });
  EXPECT_EQ(greetings, "abc");
  // Nothing more waits: a second pass takes nothing and returns.
  accept_backlog(acceptor, [&](Socket) { ADD_FAILURE() << "a connection taken twice"; });
}

TEST(ListenBacklog, UnixConnectionsWaitingInTheBacklogAreAcceptedInOrder) {
  asio::io_context io;
  const auto path = std::filesystem::temp_directory_path() /
                    ("weft-backlog-" + std::to_string(::getpid()) + ".sock");
  auto acceptor = bind_unix(io, path.string(), 0600);
  expect_backlog_taken_in(io, *acceptor, asio::local::stream_protocol::endpoint(path.string()));
  acceptor->close();
  std::filesystem::remove(path);
}

TEST(ListenBacklog, TcpConnectionsWaitingInTheBacklogAreAcceptedInOrder) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  expect_backlog_taken_in(io, acceptor, acceptor.local_endpoint());
}

}  // namespace
}  // namespace weft::server
