// Implementation of OpensslStream (see tls_stream.h).
#include "tls/tls_stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

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

OpensslStream::OpensslStream(std::shared_ptr<const void> owner, asio::ssl::context& ctx, asio::ip::tcp::socket sock,
                             const std::string& server_name)
    : owner_(std::move(owner)), s_(std::move(sock), ctx), client_(true) {
  SSL* ssl = s_.native_handle();
  if (server_name.empty() || !is_dns_name(server_name)) return;  // an address literal: no SNI, no name
  SSL_set_tlsext_host_name(ssl, server_name.c_str());
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  name_set_ = X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), server_name.size()) == 1;
}

asio::awaitable<void> OpensslStream::handshake(asio::error_code& ec) {
  auto side = client_ ? asio::ssl::stream_base::client : asio::ssl::stream_base::server;
  co_await s_.async_handshake(side, asio::redirect_error(asio::use_awaitable, ec));
}

// The context verifies with SSL_VERIFY_NONE, so the handshake goes on
// whatever the certificate; OpenSSL records the first failed check. The
// name check comes before the trust and signature checks in OpenSSL's
// order, so a name mismatch says nothing about the chain: it is verified
// again without the name to tell Trusted from Untrusted.
void OpensslStream::check_peer(io::TlsSummary& s) const {
  SSL* ssl = const_cast<asio::ssl::stream<asio::ip::tcp::socket>&>(s_).native_handle();
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert) {
    s.verify_error = "no server certificate";
    return;
  }
  long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) {
    s.trust = name_set_ ? io::TlsSummary::Trust::verified : io::TlsSummary::Trust::trusted;
    if (!name_set_) s.verify_error = "no host name to match";
    return;
  }
  s.verify_error = X509_verify_cert_error_string(result);
  if (result != X509_V_ERR_HOSTNAME_MISMATCH) return;
  X509_STORE_CTX* vctx = X509_STORE_CTX_new();
  if (!vctx) return;
  if (X509_STORE_CTX_init(vctx, SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl)), cert, SSL_get_peer_cert_chain(ssl)) == 1) {
    X509_STORE_CTX_set_purpose(vctx, X509_PURPOSE_SSL_SERVER);
    if (X509_verify_cert(vctx) == 1) s.trust = io::TlsSummary::Trust::trusted;
    else s.verify_error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx));
  }
  X509_STORE_CTX_free(vctx);
  ERR_clear_error();
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
  if (client_) check_peer(s);
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
