// See conn.h.
#include "conn.h"

#include <openssl/err.h>

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace bench {

std::string openssl_error(std::string_view what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "no detail";
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return std::string(what) + ": " + buf;
}

Conn::Conn(asio::ip::tcp::socket sock) : sock_(std::move(sock)) {
  asio::error_code ec;
  sock_.set_option(asio::ip::tcp::no_delay(true), ec);
  sock_.non_blocking(true, ec);
}

Conn::~Conn() {
  if (ssl_) SSL_free(ssl_);
}

void Conn::abort() {
  aborted_ = true;
  asio::error_code ec;
  sock_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  sock_.cancel(ec);
}

void Conn::close() {
  if (ssl_ && !aborted_) SSL_shutdown(ssl_);  // one try: close_notify if the socket takes it now
  asio::error_code ec;
  sock_.close(ec);
}

// Runs one OpenSSL call until it completes, waiting for the socket whenever
// OpenSSL asks to. Returns op's positive result, 0 at a clean close, -1 on
// an error (err set).
template <class Op>
asio::awaitable<int> Conn::tls_op(Op op, std::string& err) {
  for (;;) {
    if (aborted_) {
      err = "timed out";
      co_return -1;
    }
    ERR_clear_error();
    int r = op();
    if (r > 0) co_return r;
    int e = SSL_get_error(ssl_, r);
    asio::error_code ec;
    if (e == SSL_ERROR_WANT_READ) {
      co_await sock_.async_wait(asio::socket_base::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    } else if (e == SSL_ERROR_WANT_WRITE) {
      co_await sock_.async_wait(asio::socket_base::wait_write, asio::redirect_error(asio::use_awaitable, ec));
    } else if (e == SSL_ERROR_ZERO_RETURN) {
      err = "connection closed by the peer (TLS close_notify)";
      co_return 0;
    } else if (e == SSL_ERROR_SYSCALL) {
      err = ERR_peek_error() ? openssl_error("TLS") : std::string("connection closed by the peer (no close_notify)");
      co_return -1;
    } else {
      err = openssl_error("TLS");
      co_return -1;
    }
    if (ec) {
      err = aborted_ ? std::string("timed out") : ec.message();
      co_return -1;
    }
  }
}

asio::awaitable<bool> Conn::write(std::string_view data, std::string& err) {
  if (!ssl_) {
    asio::error_code ec;
    co_await asio::async_write(sock_, asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) err = aborted_ ? std::string("timed out") : ec.message();
    co_return !ec;
  }
  while (!data.empty()) {
    size_t n = 0;
    int r = co_await tls_op([&] { return SSL_write_ex(ssl_, data.data(), data.size(), &n); }, err);
    if (r <= 0) co_return false;
    data.remove_prefix(n);
  }
  co_return true;
}

asio::awaitable<size_t> Conn::read_some(char* buf, size_t size, std::string& err) {
  if (!ssl_) {
    asio::error_code ec;
    size_t n = co_await sock_.async_read_some(asio::buffer(buf, size), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) err = aborted_ ? std::string("timed out")
                  : ec == asio::error::eof ? std::string("connection closed by the peer")
                                           : ec.message();
    co_return ec ? 0 : n;
  }
  size_t n = 0;
  int r = co_await tls_op([&] { return SSL_read_ex(ssl_, buf, size, &n); }, err);
  co_return r > 0 ? n : 0;
}

asio::awaitable<bool> Conn::handshake(SSL_CTX* ctx, bool server, SSL_SESSION* resume, const std::string& sni,
                                      std::string& err) {
  ssl_ = SSL_new(ctx);
  if (!ssl_ || !SSL_set_fd(ssl_, sock_.native_handle())) {
    err = openssl_error("SSL_new");
    co_return false;
  }
  if (server) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    if (!sni.empty()) SSL_set_tlsext_host_name(ssl_, sni.c_str());
    if (resume) SSL_set_session(ssl_, resume);
  }
  int r = co_await tls_op([&] { return SSL_do_handshake(ssl_); }, err);
  if (r <= 0) err = "handshake: " + err;
  co_return r > 0;
}

}  // namespace bench
