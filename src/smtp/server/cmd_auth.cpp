// AUTH (RFC 4954): the SASL exchange of one AUTH command, with the
// mechanisms of sasl/ (PLAIN, LOGIN), the password check off the event loop
// (sasl::Verifier in Services: the session waits, other sessions go on),
// and the brute-force defence (AuthFailures in the SessionHost: growing
// delays per client address, then 421).
//
// Replies: 334 challenges, 235 2.7.0 success, 535 5.7.8 wrong credentials,
// 501 5.5.2 bad base64, 501 5.7.0 "*" cancel, 500 5.5.6 response line over
// 12288 bytes, 504 5.5.4 unknown mechanism, 503 5.5.1 out of order (no
// EHLO, already authenticated, inside a transaction), 538 5.7.11 before
// TLS when smtpd_tls_auth_only, 454 4.7.0 when the check cannot be made.
// Each failure is logged as Postfix logs it, for fail2ban's stock filter:
//   warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: authentication failure
//
// SECURITY: the lines come from the network; their length is bounded here
// (kSaslLineBytes), their content by sasl/. Unknown user and wrong password
// get the same reply in the same time (the verifier's contract). The
// password lives only in sasl::Credentials, wiped when the check is done,
// and never reaches a log line.
#include <algorithm>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "base/log.h"
#include "base/strings.h"
#include "sasl/mechanism.h"
#include "smtp/server/session.h"

namespace tern::smtp {
namespace {

// The growing delay doubles per failure up to this many times the base.
constexpr int kMaxDelayDoublings = 6;

// Awaits Verifier::verify; the result is posted back to the session's
// executor (the verifier calls back on a worker thread).
template <class Token>
auto async_verify(sasl::Verifier& v, sasl::Credentials creds, Token&& token) {
  return asio::async_initiate<Token, void(sasl::VerifyResult)>(
      [&v](auto handler, sasl::Credentials c) {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        v.verify(std::move(c), [ex, h](sasl::VerifyResult r) {
          asio::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
        });
      },
      token, std::move(creds));
}

}  // namespace

bool Session::auth_offered() const {
  return lim_.sasl_auth_enable && services_->verifier && (!lim_.tls_auth_only || client_.tls);
}

void Session::forget_auth() {
  client_.authenticated = false;
  client_.sasl_user.clear();
  client_.sasl_method.clear();
}

asio::awaitable<std::optional<std::string>> Session::read_auth_line() {
  for (;;) {
    splitter_.set_max_line_bytes(kSaslLineBytes);
    auto next = splitter_.next();
    splitter_.set_max_line_bytes(lim_.command_line_bytes);
    if (next.kind == LineSplitter::Kind::need_more) {
      co_await flush();
      if (closed_ || !co_await fill("AUTH")) co_return std::nullopt;
      continue;
    }
    watchdog_->arm(lim_.timeout);
    if (next.kind == LineSplitter::Kind::line) co_return std::move(next.line);
    if (next.kind == LineSplitter::Kind::flood) {
      log::warn("command line flood from {}", client_name_);
      hang_up(HangUp::line_flood);
    } else {
      reply(500, "5.5.6", "Error: authentication response line too long");
    }
    co_return std::nullopt;
  }
}

asio::awaitable<void> Session::auth_failed(std::string_view mechanism, const std::string& why) {
  log::warn("{}: SASL {} authentication failed: {}", client_name_, mechanism, why);
  int n = host_.auth_failures().record(client_.ip, host_.clock().now(), lim_.sasl_failure_window);
  if (lim_.sasl_failure_limit > 0 && n >= lim_.sasl_failure_limit) {
    log::warn("too many SASL authentication failures from {} ({} within {}s)", client_name_, n,
              lim_.sasl_failure_window.count());
    hang_up(HangUp::auth_failures);
    co_return;
  }
  // A delay that doubles with each failure from this address, kept below
  // the session timeout so the watchdog never cuts the reply off.
  auto delay = lim_.sasl_failure_sleep * (1 << std::min(n - 1, kMaxDelayDoublings));
  delay = std::min(delay, lim_.timeout / 2);
  if (delay.count() > 0) {
    auto timer = host_.clock().make_timer(stream_->get_executor());
    asio::error_code ec;
    co_await timer->wait_until(host_.clock().now() + delay, ec);
    watchdog_->arm(lim_.timeout);
  }
  reply(535, "5.7.8", "Error: authentication failed: Authentication credentials invalid");
}

asio::awaitable<void> Session::cmd_auth(const Command& c) {
  if (!lim_.sasl_auth_enable || !services_->verifier) {
    reply(503, "5.5.1", "Error: authentication not enabled");
    co_return;
  }
  if (!esmtp_) {
    reply(503, "5.5.1", "Error: send EHLO first");
    co_return;
  }
  if (client_.authenticated) {
    reply(503, "5.5.1", "Error: already authenticated");
    co_return;
  }
  if (tx_.active) {
    reply(503, "5.5.1", "Error: MAIL transaction in progress");
    co_return;
  }
  if (lim_.tls_auth_only && !client_.tls) {
    reply(538, "5.7.11", "Encryption required for requested authentication mechanism");
    co_return;
  }
  if (lim_.sasl_failure_limit > 0 &&
      host_.auth_failures().count(client_.ip, host_.clock().now(), lim_.sasl_failure_window) >=
          lim_.sasl_failure_limit) {
    log::warn("AUTH refused: too many SASL authentication failures from {}", client_name_);
    hang_up(HangUp::auth_failures);
    co_return;
  }
  auto args = str::split_list(c.arg);
  if (args.empty() || args.size() > 2) {
    reply(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
    co_return;
  }
  auto mech = sasl::find_mechanism(args[0]);
  if (!mech) {
    reply(504, "5.5.4", "Unsupported authentication mechanism");
    co_return;
  }
  std::string_view name = sasl::mechanism_name(*mech);
  sasl::ServerExchange ex(*mech);
  std::optional<std::string_view> initial;
  if (args.size() == 2) initial = args[1];
  sasl::Step step = ex.start(initial);
  while (step.kind == sasl::Step::Kind::challenge) {
    reply(334, "", step.text);
    auto line = co_await read_auth_line();
    if (!line) co_return;
    step = ex.step(*line);
  }
  switch (step.kind) {
    case sasl::Step::Kind::bad_base64: reply(501, "5.5.2", "Error: cannot decode response"); co_return;
    case sasl::Step::Kind::cancelled: reply(501, "5.7.0", "Authentication aborted"); co_return;
    case sasl::Step::Kind::failed: co_await auth_failed(name, step.text); co_return;
    default: break;
  }
  auto result = co_await async_verify(*services_->verifier, ex.take_credentials(), asio::use_awaitable);
  if (result.kind == sasl::VerifyResult::Kind::temporary) {
    log::warn("{}: SASL {} authentication unavailable: the user database cannot be consulted", client_name_, name);
    reply(454, "4.7.0", "Temporary authentication failure");
  } else if (result.kind == sasl::VerifyResult::Kind::failed) {
    co_await auth_failed(name, "authentication failure");
  } else {
    client_.authenticated = true;
    client_.sasl_user = std::move(result.user);
    client_.sasl_method = std::string(name);
    log::info("{}: sasl_method={}, sasl_username={}: authenticated", client_name_, name,
              str::printable(client_.sasl_user));
    reply(235, "2.7.0", "Authentication successful");
  }
}

}  // namespace tern::smtp
