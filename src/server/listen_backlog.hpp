// Connections that completed their handshake but were not yet accepted when a listening
// socket closes (a SIGHUP reload, a SIGTERM drain) would be reset unread: the client sees its
// connection end before any frame. Closing a listener therefore first takes them in, so that
// they are served (or refused, one frame per request) like the connections accepted before.
#pragma once

#include <system_error>
#include <utility>

#include "server/asio.hpp"

namespace weft::server {

// Accepts, without blocking, every connection waiting in `acceptor`'s listen backlog and
// hands each socket to `take`. Runs on the event loop's thread, like the acceptor's handlers.
template <typename Acceptor, typename Take>
void accept_backlog(Acceptor& acceptor, Take&& take) {
  std::error_code error;
  acceptor.non_blocking(true, error);
  while (!error) {
    typename Acceptor::protocol_type::socket socket(acceptor.get_executor());
    acceptor.accept(socket, error);
    if (!error) take(std::move(socket));
  }
}

}  // namespace weft::server
