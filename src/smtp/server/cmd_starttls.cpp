// STARTTLS (RFC 3207) and the TLS start of port 465 (RFC 8314): the session
// swaps its plain stream for a TLS one and goes on in the same loop.
//
// SECURITY: the rules mail servers got wrong (RELIABILITY.md #41-#46):
//   - bytes the client pipelined after STARTTLS in plaintext are discarded,
//     never read as commands inside TLS (CVE-2011-0411); bytes still in the
//     socket reach OpenSSL as a ClientHello and fail the handshake;
//   - after the handshake all session state is forgotten (reset_after_tls),
//     EHLO is required again, STARTTLS is no longer offered and a second one
//     gets 503 5.5.1; STARTTLS inside a transaction gets 503 too (a BDAT
//     chunk half read must not cross the switch, #44);
//   - the handshake runs under the same per-command deadline as any command
//     (the Watchdog watches the new stream), and a failed one closes.
#include "base/log.h"
#include "io/session_steps.h"
#include "smtp/server/session.h"

namespace tern::smtp {

asio::awaitable<void> Session::cmd_starttls(const Command&) {
  if (!services_->tls || !lim_.tls_offered) {
    reply(502, "5.5.1", "Error: command not implemented");
    co_return;
  }
  if (tls_active_) {
    reply(503, "5.5.1", "Error: TLS already active");
    co_return;
  }
  if (tx_.active) {
    reply(503, "5.5.1", "Error: MAIL transaction in progress");
    co_return;
  }
  if (size_t n = splitter_.pending_size(); n > 0) {
    log::warn("{}: {} byte(s) pipelined after STARTTLS discarded", client_name_, n);
    splitter_.clear();
  }
  reply(220, "2.0.0", "Ready to start TLS");
  co_await flush();
  if (closed_) co_return;
  if (co_await start_tls()) reset_after_tls();
}

asio::awaitable<bool> Session::start_tls() {
  auto started = co_await io::start_tls(*services_->tls, stream_, *watchdog_, lim_.timeout);
  if (!started.ok) {
    if (!started.wrapped) {
      log::error("cannot start TLS for {}: {}", client_name_, started.error);
    } else {
      log::info("SSL_accept error from {}: {}", client_name_, interrupted_ && started.error != "timeout" ? "shutting down" : started.error);
    }
    stream_->close();
    closed_ = true;
    co_return false;
  }
  tls_ = started.summary;
  tls_active_ = true;
  client_.tls = true;
  if (lim_.tls_loglevel >= 1)
    log::info("Anonymous TLS connection established from {}: {} with cipher {} ({}/{} bits)", client_name_,
              tls_.protocol, tls_.cipher, tls_.bits, tls_.alg_bits);
  co_return true;
}

void Session::reset_after_tls() {
  reset_transaction();
  helo_.clear();
  esmtp_ = false;
  // SMTP AUTH state: nothing may carry over from before the handshake.
  forget_auth();
}

}  // namespace tern::smtp
