// Conn: one TCP connection of the load tool that starts in plaintext and
// can be upgraded in place to TLS (STARTTLS), for the client and the sink
// alike. OpenSSL runs directly on the non-blocking socket; Asio only waits
// for readiness, so the tool needs no asio/ssl (which tern compiles once, in
// src/io/asio_impl.cpp, for its own use).
// Errors are values: a failed operation returns false or 0 and sets a
// plain-words reason. A timed-out connection is shut down (never closed
// under OpenSSL's feet, so its descriptor number cannot be reused while
// the SSL object still points at it).
#pragma once

#include <openssl/ssl.h>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <string>
#include <string_view>

namespace bench {

class Conn {
 public:
  explicit Conn(asio::ip::tcp::socket sock);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  asio::ip::tcp::socket& socket() { return sock_; }

  // Writes all of data; false and err set on failure.
  asio::awaitable<bool> write(std::string_view data, std::string& err);
  // Reads what is there (at least one byte); 0 and err set at EOF or error.
  asio::awaitable<size_t> read_some(char* buf, size_t size, std::string& err);
  // Switches to TLS. resume: a session to offer (client side), or null.
  asio::awaitable<bool> handshake(SSL_CTX* ctx, bool server, SSL_SESSION* resume, const std::string& sni,
                                  std::string& err);

  bool tls() const { return ssl_ != nullptr; }
  bool resumed() const { return ssl_ && SSL_session_reused(ssl_); }
  // Stops every pending and later operation (a deadline): shutdown, not close.
  void abort();
  // Sends TLS close_notify if it can without waiting, then closes.
  void close();

 private:
  template <class Op>
  asio::awaitable<int> tls_op(Op op, std::string& err);

  asio::ip::tcp::socket sock_;
  SSL* ssl_ = nullptr;
  bool aborted_ = false;
};

// The reason for the last OpenSSL failure, with the queue's first entry.
std::string openssl_error(std::string_view what);

}  // namespace bench
