// TcpStream: io::Stream over a connected TCP socket (see stream.h), and the
// peer address of such a socket in the form logs and policy use.
#pragma once

#include <asio/ip/tcp.hpp>
#include <string>

#include "io/stream.h"

namespace tern::io {

// Who is on the other end, taken from the socket once at accept.
struct Peer {
  std::string ip;  // "192.0.2.1", "2001:db8::1"; IPv4-mapped IPv6 shown as IPv4; "" if unknown
  unsigned short port = 0;
};
Peer peer_of(const asio::ip::tcp::socket& sock);

class TcpStream final : public Stream {
 public:
  // Sets TCP_NODELAY: replies are written whole, one write per flush.
  explicit TcpStream(asio::ip::tcp::socket sock);
  asio::any_io_executor get_executor() override { return sock_.get_executor(); }
  asio::awaitable<size_t> read_some(asio::mutable_buffer buf, asio::error_code& ec) override;
  asio::awaitable<void> write(asio::const_buffer buf, asio::error_code& ec) override;
  size_t try_write(asio::const_buffer buf, asio::error_code& ec) override;
  size_t available() override;
  void cancel() override;
  void close() override;
  // The socket underneath (a TLS stream wraps it in place).
  asio::ip::tcp::socket& socket() { return sock_; }

 private:
  asio::ip::tcp::socket sock_;
};

}  // namespace tern::io
