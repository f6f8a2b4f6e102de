// Logging in: LOGIN (RFC 9051 6.2.3) and AUTHENTICATE (6.2.2) with the
// SASL mechanisms of sasl/ (PLAIN, LOGIN; an initial response under SASL-IR,
// RFC 4959; "+ " challenges; "*" cancels). The password check goes through
// sasl::Verifier, off the event loop; a success opens the account's mail
// store and tells RecentLogins (POP-before-SMTP).
//
// Plaintext passwords travel only over TLS or from loopback unless
// imapd_tls_auth_only = no: before that, CAPABILITY says LOGINDISABLED and
// no AUTH=, and LOGIN and AUTHENTICATE get NO [PRIVACYREQUIRED].
//
// Failed logins share the table of SMTP AUTH and POP3 (sasl::AuthFailures):
// each failure from an address waits longer, and past
// smtpd_sasl_failure_limit within the window the connection is closed.
// Unknown user and wrong password get the same reply. Each failure is
// logged as: warning: imap: [192.0.2.1]: LOGIN authentication failed: ...
//
// SECURITY: the password lives only in sasl::Credentials (wiped after the
// check) and in the command's argument tree until the command ends; it
// never reaches a log line. User names are logged through str::printable.
#include <algorithm>

#include "base/log.h"
#include "base/strings.h"
#include "imap/server/session.h"
#include "io/await_callback.h"

namespace tern::imap {
namespace {

constexpr int kMaxDelayDoublings = 6;

bool is_loopback(std::string_view ip) { return ip.starts_with("127.") || ip == "::1"; }

}  // namespace

bool Session::login_allowed() const { return !set_.tls_auth_only || tls_active_ || is_loopback(ip_); }

bool Session::too_many_failures() {
  if (set_.failure_limit <= 0) return false;
  int n = host_.auth_failures().count(ip_, host_.clock().now(), set_.failure_window);
  if (n < set_.failure_limit) return false;
  log::warn("imap: login refused: too many authentication failures from {}", client_name_);
  hang_up("Too many authentication failures.");
  return true;
}

asio::awaitable<void> Session::cmd_login(const Call& k) {
  const auto& a = k.c.args;
  auto user = a.size() == 2 ? a[0].astring() : std::nullopt;
  auto pass = a.size() == 2 ? a[1].astring() : std::nullopt;
  if (!user || !pass) {
    bad(k, "LOGIN takes a user name and a password.");
    co_return;
  }
  if (!login_allowed()) {
    no(k, "[PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.");
    co_return;
  }
  sasl::Credentials creds;
  creds.authcid = std::string(*user);
  creds.password = std::string(*pass);
  co_await login(k, std::move(creds), "LOGIN");
}

asio::awaitable<std::optional<std::string>> Session::read_sasl_line() {
  for (;;) {
    std::string line;
    bool too_long = false;
    if (reader_.next_line(line, too_long)) {
      watchdog_->arm(set_.timeout);
      // RFC 4954's bound, tighter than the reader's line limit.
      if (too_long || line.size() > kSaslLineBytes) co_return std::nullopt;
      co_return line;
    }
    co_await flush();
    if (closed_ || !co_await fill("AUTHENTICATE")) co_return std::nullopt;
  }
}

asio::awaitable<void> Session::cmd_authenticate(const Call& k) {
  const auto& a = k.c.args;
  if (a.empty() || a.size() > 2 || a[0].kind != Value::Kind::atom || (a.size() == 2 && a[1].kind != Value::Kind::atom)) {
    bad(k, "AUTHENTICATE takes a mechanism and an optional initial response.");
    co_return;
  }
  auto mech = sasl::find_mechanism(a[0].text);
  if (!mech) {
    no(k, "Unsupported authentication mechanism.");
    co_return;
  }
  if (!login_allowed()) {
    no(k, "[PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.");
    co_return;
  }
  if (too_many_failures()) co_return;
  sasl::ServerExchange ex(*mech);
  std::optional<std::string_view> initial;
  if (a.size() == 2) initial = a[1].text;  // "=" is an empty one (RFC 4959)
  sasl::Step step = ex.start(initial);
  while (step.kind == sasl::Step::Kind::challenge) {
    out_ += "+ " + step.text + "\r\n";
    auto line = co_await read_sasl_line();
    if (!line) {
      if (!closed_ && !hang_up_) bad(k, "Authentication response too long.");
      co_return;
    }
    step = ex.step(*line);
  }
  std::string_view name = sasl::mechanism_name(*mech);
  switch (step.kind) {
    case sasl::Step::Kind::bad_base64: bad(k, "Invalid base64 data in response."); co_return;
    case sasl::Step::Kind::cancelled: bad(k, "Authentication aborted by client."); co_return;
    case sasl::Step::Kind::failed: co_await login_failed(k, name, step.text); co_return;
    default: break;
  }
  co_await login(k, ex.take_credentials(), name);
}

asio::awaitable<void> Session::login(const Call& k, sasl::Credentials creds, std::string_view method) {
  if (too_many_failures()) co_return;
  if (!services_->verifier || !services_->accounts) {
    log::warn("imap: {}: {} login impossible: no password database", client_name_, method);
    no(k, "[UNAVAILABLE] Temporary authentication failure.");
    co_return;
  }
  // Named, not a temporary inside co_await (GCC 12, see pop3/server/cmd_auth.cpp).
  auto verifier = services_->verifier;
  auto shared_creds = std::make_shared<sasl::Credentials>(std::move(creds));
  auto start = [verifier, shared_creds](std::function<void(sasl::VerifyResult)> done) {
    verifier->verify(std::move(*shared_creds), std::move(done));
  };
  sasl::VerifyResult result = co_await io::await_callback<sasl::VerifyResult>(start);
  if (result.kind == sasl::VerifyResult::Kind::temporary) {
    log::warn("imap: {}: {} authentication unavailable: the user database cannot be consulted", client_name_, method);
    no(k, "[UNAVAILABLE] Temporary authentication failure.");
    co_return;
  }
  if (result.kind == sasl::VerifyResult::Kind::failed) {
    co_await login_failed(k, method, "authentication failure");
    co_return;
  }
  // Dovecot's mail_max_userip_connections, counted once the user is known.
  if (auto* counts = host_.user_ip_counts()) {
    if (!counts->claim(result.user, ip_, set_.max_userip_connections)) {
      log::warn("imap: {}: user={}: refused: {} sessions from this address already (mail_max_userip_connections)",
                client_name_, str::printable(result.user), set_.max_userip_connections);
      no(k, "[LIMIT] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=" +
                std::to_string(set_.max_userip_connections) + ").");
      co_return;
    }
  }
  auto release_count = [&] {
    if (auto* counts = host_.user_ip_counts()) counts->release(result.user, ip_);
  };
  auto account = services_->accounts->open(result.user);
  if (!account) {
    log::warn("imap: {}: user={}: cannot open the mail store: {}", client_name_, str::printable(result.user),
              account.error().detail);
    release_count();
    no(k, "[UNAVAILABLE] Cannot open the mailbox; try again later.");
    co_return;
  }
  counted_ = host_.user_ip_counts() != nullptr;
  store_ = std::move(account->store);
  account_root_ = account->root;
  quota_ = account->quota;
  subscriptions_ = std::make_unique<Subscriptions>(account->subscriptions_path);
  user_ = std::move(result.user);
  state_ = State::authenticated;
  if (auto* recent = host_.recent_logins()) recent->record(ip_);
  log::info("imap: {}: method={}, user={}: logged in", client_name_, method, str::printable(user_));
  ok(k, "[CAPABILITY " + capabilities() + "] Logged in.");
}

asio::awaitable<void> Session::login_failed(const Call& k, std::string_view method, const std::string& why) {
  log::warn("imap: {}: {} authentication failed: {}", client_name_, method, why);
  int n = host_.auth_failures().record(ip_, host_.clock().now(), set_.failure_window);
  if (set_.failure_limit > 0 && n >= set_.failure_limit) {
    log::warn("imap: too many authentication failures from {} ({} within {}s)", client_name_, n,
              set_.failure_window.count());
    no(k, "[AUTHENTICATIONFAILED] Authentication failed.");
    hang_up("Too many authentication failures.");
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
  no(k, "[AUTHENTICATIONFAILED] Authentication failed.");
}

}  // namespace tern::imap
