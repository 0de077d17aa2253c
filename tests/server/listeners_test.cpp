#include "server/listeners.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace weft::server
