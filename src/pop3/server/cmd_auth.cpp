// Logging in: USER/PASS (RFC 1939), AUTH with the SASL mechanisms of sasl/
// (RFC 5034: PLAIN and LOGIN, "+ " challenges, "*" cancels), APOP refused
// (not offered: tern keeps no plaintext passwords to compute its digest).
// The password check goes through sasl::Verifier, off the event loop; a
// success opens the maildrop (its lock: -ERR [IN-USE] when another session
// holds it) and tells RecentLogins (POP-before-SMTP).
//
// Plaintext passwords (USER/PASS and both mechanisms) travel only over TLS
// or from loopback unless pop3d_tls_auth_only = no (Dovecot's
// disable_plaintext_auth): before that, USER and SASL are not in CAPA and
// the commands get -ERR [AUTH].
//
// Failed logins share the table of SMTP AUTH (sasl::AuthFailures): each
// failure from an address waits longer (smtpd_sasl_failure_sleep_time,
// doubling), and past smtpd_sasl_failure_limit within the window the
// connection is closed, however often the client reconnects. Unknown user
// and wrong password get the same reply (the verifier's contract). Each
// failure is logged in the words fail2ban's stock filters look for:
//   warning: pop3: [192.0.2.1]: PASS authentication failed: authentication failure
//
// SECURITY: the password lives only in sasl::Credentials, wiped after the
// check, and never reaches a log line.
#include <algorithm>

#include "base/log.h"
#include "base/strings.h"
#include "io/await_callback.h"
#include "pop3/server/session.h"

namespace tern::pop3 {
namespace {

constexpr int kMaxDelayDoublings = 6;

bool is_loopback(std::string_view ip) { return ip.starts_with("127.") || ip == "::1"; }

}  // namespace

bool Session::login_allowed() const {
  return !set_.tls_auth_only || tls_active_ || is_loopback(ip_);
}

bool Session::too_many_failures() {
  if (set_.failure_limit <= 0) return false;
  int n = host_.auth_failures().count(ip_, host_.clock().now(), set_.failure_window);
  if (n < set_.failure_limit) return false;
  log::warn("pop3: login refused: too many authentication failures from {}", client_name_);
  hang_up(err_line("Too many authentication failures", RespCode::auth));
  return true;
}

asio::awaitable<void> Session::cmd_user(const Command& c) {
  if (!login_allowed()) {
    bad("Plaintext authentication disallowed on non-secure (SSL/TLS) connections.", RespCode::auth);
    co_return;
  }
  user_name_ = c.arg;
  ok("");
}

asio::awaitable<void> Session::cmd_pass(const Command& c) {
  if (!login_allowed()) {
    bad("Plaintext authentication disallowed on non-secure (SSL/TLS) connections.", RespCode::auth);
    co_return;
  }
  if (user_name_.empty()) {
    bad("No username given.");
    co_return;
  }
  sasl::Credentials creds;
  creds.authcid = std::exchange(user_name_, {});
  creds.password = c.arg;
  co_await login(std::move(creds), "PASS");
}

asio::awaitable<void> Session::cmd_apop(const Command&) {
  bad("APOP not supported");
  co_return;
}

asio::awaitable<std::optional<std::string>> Session::read_sasl_line() {
  for (;;) {
    splitter_.set_max_line_bytes(kSaslLineBytes);
    auto next = splitter_.next();
    splitter_.set_max_line_bytes(kMaxLineBytes);
    if (next.kind == smtp::LineSplitter::Kind::need_more) {
      co_await flush();
      if (closed_ || !co_await fill("AUTH")) co_return std::nullopt;
      continue;
    }
    watchdog_->arm(set_.timeout);
    if (next.kind == smtp::LineSplitter::Kind::line) co_return std::move(next.line);
    if (next.kind == smtp::LineSplitter::Kind::flood) {
      log::warn("pop3: command line flood from {}", client_name_);
      hang_up(err_line("Authentication response too long"));
    } else {
      bad("Authentication response too long");
    }
    co_return std::nullopt;
  }
}

asio::awaitable<void> Session::cmd_auth(const Command& c) {
  if (c.arg.empty()) {
    // The RFC 1734 form, still asked by clients: the mechanisms, one a line.
    ok("");
    for (auto m : {sasl::Mechanism::plain, sasl::Mechanism::login}) {
      out_ += sasl::mechanism_name(m);
      out_ += "\r\n";
    }
    out_ += kEndOfMultiline;
    co_return;
  }
  if (!login_allowed()) {
    bad("Plaintext authentication disallowed on non-secure (SSL/TLS) connections.", RespCode::auth);
    co_return;
  }
  auto mech = sasl::find_mechanism(c.arg);
  if (!mech) {
    bad("Unsupported authentication mechanism.");
    co_return;
  }
  if (too_many_failures()) co_return;
  sasl::ServerExchange ex(*mech);
  std::optional<std::string_view> initial;
  if (c.initial_response) initial = *c.initial_response;
  sasl::Step step = ex.start(initial);
  while (step.kind == sasl::Step::Kind::challenge) {
    out_ += "+ " + step.text + "\r\n";
    auto line = co_await read_sasl_line();
    if (!line) co_return;
    step = ex.step(*line);
  }
  std::string_view name = sasl::mechanism_name(*mech);
  switch (step.kind) {
    case sasl::Step::Kind::bad_base64: bad("Invalid base64 data in response."); co_return;
    case sasl::Step::Kind::cancelled: err("Authentication aborted by client."); co_return;
    case sasl::Step::Kind::failed: co_await login_failed(name, step.text); co_return;
    default: break;
  }
  co_await login(ex.take_credentials(), name);
}

asio::awaitable<void> Session::login(sasl::Credentials creds, std::string_view method) {
  if (too_many_failures()) co_return;
  if (!services_->verifier) {
    log::warn("pop3: {}: {} login impossible: no password database", client_name_, method);
    err("Temporary authentication failure", RespCode::sys_temp);
    co_return;
  }
  // Named, not a temporary inside co_await: GCC 12 mishandles a lambda
  // temporary with captures there (its copy in the frame was garbage).
  auto verifier = services_->verifier;
  auto shared_creds = std::make_shared<sasl::Credentials>(std::move(creds));
  auto start = [verifier, shared_creds](std::function<void(sasl::VerifyResult)> done) {
    verifier->verify(std::move(*shared_creds), std::move(done));
  };
  sasl::VerifyResult result = co_await io::await_callback<sasl::VerifyResult>(start);
  if (result.kind == sasl::VerifyResult::Kind::temporary) {
    log::warn("pop3: {}: {} authentication unavailable: the user database cannot be consulted", client_name_, method);
    err("Temporary authentication failure", RespCode::sys_temp);
    co_return;
  }
  if (result.kind == sasl::VerifyResult::Kind::failed) {
    co_await login_failed(method, "authentication failure");
    co_return;
  }
  auto opened = services_->maildrops->open(result.user);
  if (opened.kind == OpenResult::Kind::in_use) {
    log::info("pop3: {}: user={}: maildrop in use by another session", client_name_, str::printable(result.user));
    err("Mailbox is locked by another POP3 session", RespCode::in_use);
    co_return;
  }
  if (opened.kind != OpenResult::Kind::ok) {
    log::warn("pop3: {}: user={}: cannot open the maildrop: {}", client_name_, str::printable(result.user), opened.why);
    err("Cannot open the mailbox; try again later", RespCode::sys_temp);
    co_return;
  }
  drop_ = std::move(opened.drop);
  deleted_.assign(drop_->messages().size(), false);
  retrieved_.assign(drop_->messages().size(), false);
  user_ = std::move(result.user);
  state_ = State::transaction;
  if (auto* recent = host_.recent_logins()) recent->record(ip_);
  log::info("pop3: {}: method={}, user={}: logged in, {} message(s)", client_name_, method, str::printable(user_),
            deleted_.size());
  ok("Logged in.");
}

asio::awaitable<void> Session::login_failed(std::string_view method, const std::string& why) {
  log::warn("pop3: {}: {} authentication failed: {}", client_name_, method, why);
  int n = host_.auth_failures().record(ip_, host_.clock().now(), set_.failure_window);
  if (set_.failure_limit > 0 && n >= set_.failure_limit) {
    log::warn("pop3: too many authentication failures from {} ({} within {}s)", client_name_, n,
              set_.failure_window.count());
    hang_up(err_line("Too many authentication failures", RespCode::auth));
    co_return;
  }
  // A delay that doubles with each failure from this address, kept below
  // the session timeout so the watchdog never cuts the reply off.
  auto delay = set_.failure_sleep * (1 << std::min(n - 1, kMaxDelayDoublings));
  delay = std::min(delay, set_.timeout / 2);
  if (delay.count() > 0) {
    co_await flush();
    auto timer = host_.clock().make_timer(stream_->get_executor());
    asio::error_code ec;
    co_await timer->wait_until(host_.clock().now() + delay, ec);
    watchdog_->arm(set_.timeout);
  }
  err("Authentication failed.", RespCode::auth);
}

}  // namespace tern::pop3
