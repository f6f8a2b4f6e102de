// OpensslStream: the io::TlsStream of tern, Asio's ssl::stream over the
// TCP socket that was the session's TcpStream (moved in: STARTTLS upgrades
// in place), on the server side (ServerContext) or the client side
// (ClientContext). It keeps the context it was made from alive, so a
// reload that replaces the context never pulls it from under a running
// session.
//
// SECURITY: OpenSSL parses the peer's bytes; renegotiation is off in the
// context (SSL_OP_NO_RENEGOTIATION), so a handshake happens once. On the
// client side the certificate is checked after the handshake (summary():
// chain against the CAs, then the name asked for, X509_VERIFY_PARAM_set1_host
// without partial wildcards); the caller refuses an unverified peer when
// its level asks for verification.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <memory>

#include "io/tls_stream.h"

namespace tern::tls {

class OpensslStream final : public io::TlsStream {
 public:
  // ctx: the default context (SNI may switch the SSL to another one);
  // owner keeps it (and the SNI contexts) alive.
  OpensslStream(std::shared_ptr<const void> owner, asio::ssl::context& ctx, asio::ip::tcp::socket sock);
  // The client side: server_name goes out by SNI and is the name the
  // certificate must carry (empty: neither).
  OpensslStream(std::shared_ptr<const void> owner, asio::ssl::context& ctx, asio::ip::tcp::socket sock,
                const std::string& server_name);
  asio::any_io_executor get_executor() override { return s_.get_executor(); }
  asio::awaitable<size_t> read_some(asio::mutable_buffer buf, asio::error_code& ec) override;
  asio::awaitable<void> write(asio::const_buffer buf, asio::error_code& ec) override;
  size_t available() override;
  void cancel() override;
  void close() override;
  asio::awaitable<void> handshake(asio::error_code& ec) override;
  io::TlsSummary summary() const override;
  std::string error_text(const asio::error_code& ec) const override;

 private:
  void check_peer(io::TlsSummary& s) const;
  std::shared_ptr<const void> owner_;  // declared first: outlives s_
  asio::ssl::stream<asio::ip::tcp::socket> s_;
  bool client_ = false;
  bool name_set_ = false;  // the client asked for a name to be verified
};

}  // namespace tern::tls
