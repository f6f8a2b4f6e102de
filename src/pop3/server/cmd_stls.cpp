// STLS (RFC 2595 section 4) and the TLS start of port 995 (RFC 8314): the
// session swaps its plain stream for an io::TlsStream and goes on.
//
// SECURITY: STLS only in AUTHORIZATION and only once; bytes the client
// pipelined after STLS in plaintext are discarded, never read as commands
// inside TLS (CVE-2011-0411 and its POP3 siblings); a USER given before
// the handshake is forgotten; the handshake runs under the command
// deadline; a failed handshake closes the connection.
#include "base/log.h"
#include "io/session_steps.h"
#include "pop3/server/session.h"

namespace tern::pop3 {

asio::awaitable<void> Session::cmd_stls(const Command&) {
  if (!services_->tls) {
    bad("STLS not available");
    co_return;
  }
  if (tls_active_) {
    bad("TLS already active");
    co_return;
  }
  if (size_t n = splitter_.pending_size(); n > 0) {
    log::warn("pop3: {}: {} byte(s) pipelined after STLS discarded", client_name_, n);
    splitter_.clear();
  }
  ok("Begin TLS negotiation now.");
  co_await flush();
  if (closed_) co_return;
  if (co_await start_tls()) user_name_.clear();
}

asio::awaitable<bool> Session::start_tls() {
  if (!services_->tls) {
    log::error("pop3: cannot start TLS for {}: no TLS configured", client_name_);
    stream_->close();
    closed_ = true;
    co_return false;
  }
  auto started = co_await io::start_tls(*services_->tls, stream_, *watchdog_, set_.timeout);
  if (!started.ok) {
    log::info("pop3: SSL_accept error from {}: {}", client_name_, interrupted_ && started.error != "timeout" ? "shutting down" : started.error);
    stream_->close();
    closed_ = true;
    co_return false;
  }
  tls_active_ = true;
  const auto& s = started.summary;
  log::info("pop3: TLS connection established from {}: {} with cipher {} ({}/{} bits)", client_name_, s.protocol,
            s.cipher, s.bits, s.alg_bits);
  co_return true;
}

}  // namespace tern::pop3
