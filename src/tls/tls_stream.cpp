// Implementation of OpensslStream (see tls_stream.h).
#include "tls/tls_stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <asio/error.hpp>
#include <asio/redirect_error.hpp>
#include <asio/ssl/error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "io/stream_ops.h"

#include "tls/server_context.h"

namespace tern::tls {

OpensslStream::OpensslStream(std::shared_ptr<const void> owner, asio::ssl::context& ctx, asio::ip::tcp::socket sock)
    : owner_(std::move(owner)), s_(std::move(sock), ctx) {}

asio::awaitable<void> OpensslStream::handshake(asio::error_code& ec) {
  co_await s_.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<size_t> OpensslStream::read_some(asio::mutable_buffer buf, asio::error_code& ec) {
  return io::read_some_of(s_, buf, ec);
}

asio::awaitable<void> OpensslStream::write(asio::const_buffer buf, asio::error_code& ec) {
  return io::write_all_of(s_, buf, ec);
}

size_t OpensslStream::available() {
  // Decrypted bytes waiting in OpenSSL, plus raw bytes in the socket (which
  // are a record the session has not asked for yet).
  asio::error_code ec;
  size_t raw = s_.next_layer().available(ec);
  return static_cast<size_t>(SSL_pending(s_.native_handle())) + (ec ? 0 : raw);
}

void OpensslStream::cancel() {
  asio::error_code ec;
  s_.next_layer().cancel(ec);
}

void OpensslStream::close() {
  // No close_notify: the last reply (221, 421) is written, and a client
  // that waits for close_notify after QUIT learns the end from the FIN
  // anyway; a blocking SSL_shutdown here could stall the event loop.
  asio::error_code ec;
  s_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  s_.next_layer().close(ec);
}

io::TlsSummary OpensslStream::summary() const {
  io::TlsSummary s;
  SSL* ssl = const_cast<asio::ssl::stream<asio::ip::tcp::socket>&>(s_).native_handle();
  s.protocol = SSL_get_version(ssl);
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl);
  if (c) {
    s.cipher = SSL_CIPHER_get_name(c);
    s.bits = SSL_CIPHER_get_bits(c, &s.alg_bits);
  }
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name && is_dns_name(name)) s.sni = name;  // the client's bytes: only a DNS name is kept
  return s;
}

// OpenSSL's reason, without the library name Asio appends.
std::string OpensslStream::error_text(const asio::error_code& ec) const {
  if (ec == asio::error::operation_aborted) return "timeout";
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return "lost connection";
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* r = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (r) return r;
  }
  return ec.message();
}

}  // namespace tern::tls
