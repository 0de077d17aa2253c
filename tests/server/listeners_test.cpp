#include "server/listeners.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace weft::server
