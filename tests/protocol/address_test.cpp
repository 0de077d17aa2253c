#include <gtest/gtest.h>

#include "weft/client.hpp"
#include "weft/error.hpp"

namespace weft::client {
namespace {

TEST(ClientAddress, ParsesEveryForm) {
  auto unix_path = Address::parse("/run/weft/infer.sock");
  EXPECT_EQ(unix_path.kind, Address::Kind::unix_socket);
  EXPECT_EQ(unix_path.path, "/run/weft/infer.sock");
  EXPECT_EQ(Address::parse("unix:rel.sock").path, "rel.sock");
  auto tcp = Address::parse("127.0.0.1:47321");
  EXPECT_EQ(tcp.kind, Address::Kind::tcp);
  EXPECT_EQ(tcp.host, "127.0.0.1");
  EXPECT_EQ(tcp.port, 47321);
  EXPECT_EQ(Address::parse("tcp://localhost:80").host, "localhost");
  EXPECT_EQ(Address::parse("[::1]:9").host, "::1");
  EXPECT_EQ(Address::parse("[::1]:9").to_string(), "tcp://[::1]:9");
  for (const char* bad :
       {"", "host", "host:", "host:0", "host:65536", "host:12x", ":80", "unix:"}) {
    EXPECT_THROW(Address::parse(bad), Error) << bad;
  }
}

TEST(ClientAddress, TransientConnectErrorsAreTheSpecsFour) {
  for (int transient : {ECONNREFUSED, ENOENT, ETIMEDOUT, EADDRNOTAVAIL}) {
    EXPECT_TRUE(is_transient_connect_error(transient));
  }
  for (int permanent : {EACCES, EPERM, EINVAL, ENAMETOOLONG, ENOTSOCK}) {
    EXPECT_FALSE(is_transient_connect_error(permanent));
  }
}

}  // namespace
}  // namespace weft::client
