// STARTTLS (RFC 9051 6.2.1) and the TLS start of port 993 (RFC 8314): the
// session swaps its plain stream for an io::TlsStream and goes on.
//
// SECURITY: STARTTLS only before login and only once; bytes the client
// pipelined after STARTTLS in plaintext are discarded, never read as
// commands inside TLS (RELIABILITY.md #41); the handshake runs under the
// command deadline; a failed handshake closes the connection.
#include "base/log.h"
#include "imap/server/session.h"
#include "io/session_steps.h"

namespace tern::imap {

asio::awaitable<void> Session::cmd_starttls(const Call& k) {
  if (!services_->tls) {
    bad(k, "STARTTLS not available.");
    co_return;
  }
  if (tls_active_) {
    bad(k, "TLS already active.");
    co_return;
  }
  if (size_t n = reader_.pending_size(); n > 0) {
    log::warn("imap: {}: {} byte(s) pipelined after STARTTLS discarded", client_name_, n);
    reader_.clear();
  }
  ok(k, "Begin TLS negotiation now.");
  co_await flush();
  if (closed_) co_return;
  co_await start_tls();
}

asio::awaitable<bool> Session::start_tls() {
  if (!services_->tls) {
    log::error("imap: cannot start TLS for {}: no TLS configured", client_name_);
    stream_->close();
    closed_ = true;
    co_return false;
  }
  auto started = co_await io::start_tls(*services_->tls, stream_, *watchdog_, set_.timeout);
  if (!started.ok) {
    log::info("imap: SSL_accept error from {}: {}", client_name_,
              interrupted_ && started.error != "timeout" ? "shutting down" : started.error);
    stream_->close();
    closed_ = true;
    co_return false;
  }
  tls_active_ = true;
  const auto& s = started.summary;
  log::info("imap: TLS connection established from {}: {} with cipher {} ({}/{} bits)", client_name_, s.protocol,
            s.cipher, s.bits, s.alg_bits);
  co_return true;
}

}  // namespace tern::imap
