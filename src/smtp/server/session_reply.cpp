// The reply writer (see session.h): every reply of a session is queued by
// reply() or hang_up() and written by flush(). This is the one place that
// counts errors, sleeps once the soft limit is passed (a delay that grows
// with each further error, as Postfix's does), words the last reply before a hang-up, and closes
// the stream after it, so nothing is ever written after 221 or 421.
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "smtp/server/session.h"

namespace tern::smtp {

void Session::reply(const Reply& r) {
  if (hang_up_ || closed_) return;  // the last reply is already queued
  out_ += r.format();
  // 452 4.5.3 (too many recipients) is the client's cue to send the rest
  // later, not an error (RFC 5321 4.5.3.1.10).
  bool counts = r.code >= 400 && !(r.code == 452 && r.enhanced == "4.5.3") && r.code != 421;
  if (counts) ++errors_;
  if (r.code == 221 || r.code == 421) hang_up_ = true;
}

void Session::hang_up(HangUp why, const std::string& detail) {
  const std::string& host = lim_.hostname;
  switch (why) {
    case HangUp::quit: reply(221, "2.0.0", "Bye"); break;
    case HangUp::timeout: reply(421, "4.4.2", host + " Error: timeout exceeded"); break;
    case HangUp::shutdown:
      reply(421, "4.3.2", host + " Service shutting down, closing transmission channel");
      break;
    case HangUp::too_many_errors: reply(421, "4.7.0", host + " Error: too many errors"); break;
    case HangUp::line_flood: reply(421, "4.7.0", host + " Error: command line flood"); break;
    case HangUp::refused: reply(421, "4.7.0", host + " Error: " + detail); break;
    case HangUp::auth_failures: reply(421, "4.7.0", host + " Error: too many failed authentication attempts"); break;
    case HangUp::sync:
      // RFC 5321 4.3.1 and RFC 2920 3.1: 554, as Postfix, and close.
      reply(554, "5.5.0", "Error: SMTP protocol synchronization");
      break;
  }
  hang_up_ = true;
}

asio::awaitable<void> Session::flush() {
  if (closed_) co_return;
  if (!out_.empty()) {
    // Tarpit once the soft limit is passed: smtpd_error_sleep_time times the
    // errors beyond it, so each further error costs the client more.
    if (errors_ > lim_.soft_errors && lim_.error_sleep.count() > 0 && !hang_up_) {
      asio::steady_timer t(stream_->get_executor(), lim_.error_sleep * (errors_ - lim_.soft_errors));
      asio::error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    asio::error_code ec;
    std::string data;
    data.swap(out_);
    co_await stream_->write(asio::buffer(data), ec);
    if (ec) hang_up_ = true;
  }
  if (hang_up_) {
    stream_->close();
    closed_ = true;
  }
}

}  // namespace tern::smtp
