// The session loop, the reply writer and command dispatch (see session.h).
#include "smtp/server/session.h"

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "base/log.h"
#include "base/strings.h"

namespace tern::smtp {

SessionLimits read_limits(const config::Config& c) {
  SessionLimits l;
  l.command_line_bytes = static_cast<size_t>(c.integer("smtpd_command_line_limit"));
  l.message_bytes = static_cast<uint64_t>(c.bytes("message_size_limit"));
  l.recipients = static_cast<size_t>(c.integer("smtpd_recipient_limit"));
  l.soft_errors = static_cast<int>(c.integer("smtpd_soft_error_limit"));
  l.hard_errors = static_cast<int>(c.integer("smtpd_hard_error_limit"));
  l.error_sleep = std::chrono::milliseconds(c.seconds("smtpd_error_sleep_time") * 1000);
  l.timeout = std::chrono::seconds(c.seconds("smtpd_timeout"));
  l.hopcount = static_cast<int>(c.integer("hopcount_limit"));
  l.header_bytes = static_cast<uint64_t>(c.bytes("header_size_limit"));
  l.header_lines = static_cast<uint64_t>(c.integer("header_line_limit"));
  l.normalize_bare_newline = str::iequals(c.get("smtpd_forbid_bare_newline"), "normalize");
  l.vrfy_enabled = !c.boolean("disable_vrfy_command");
  l.smtputf8 = c.boolean("smtputf8_enable");
  l.hostname = c.get("myhostname");
  l.banner = c.get("smtpd_banner");
  return l;
}

Session::Session(SmtpServer& server, asio::ip::tcp::socket sock, ListenerKind kind)
    : server_(server),
      services_(server.services()),
      sock_(std::move(sock)),
      kind_(kind),
      lim_(services_->limits),
      splitter_(lim_.command_line_bytes) {
  asio::error_code ec;
  auto ep = sock_.remote_endpoint(ec);
  if (!ec) {
    auto addr = ep.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
    client_.ip = addr.to_string();
  }
  client_name_ = "unknown[" + client_.ip + "]";
  sock_.set_option(asio::ip::tcp::no_delay(true), ec);
  server_.add(this);
}

Session::~Session() { server_.remove(this); }

void Session::interrupt() {
  interrupted_ = true;
  asio::error_code ec;
  sock_.cancel(ec);
}

void Session::reply(const Reply& r) {
  out_ += r.format();
  bool counts = r.code >= 400 && !(r.code == 452 && r.enhanced == "4.5.3") && r.code != 421;
  if (counts) ++errors_;
}

asio::awaitable<void> Session::flush() {
  if (out_.empty() || closing_) co_return;
  // Error sleep (tarpit) once the soft limit is passed, as Postfix does.
  if (errors_ > lim_.soft_errors && lim_.error_sleep.count() > 0) {
    asio::steady_timer t(sock_.get_executor(), lim_.error_sleep);
    asio::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  asio::error_code ec;
  std::string data;
  data.swap(out_);
  co_await asio::async_write(sock_, asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) closing_ = true;
}

asio::awaitable<void> Session::close_with(const Reply& r) {
  out_ += r.format();
  co_await flush();
  closing_ = true;
  asio::error_code ec;
  sock_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  sock_.close(ec);
}

asio::awaitable<bool> Session::fill() {
  char buf[16384];
  asio::error_code ec;
  size_t n = co_await sock_.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
  if (ec || n == 0) co_return false;
  splitter_.feed(std::string_view(buf, n));
  co_return true;
}

asio::awaitable<void> Session::run() {
  auto self = shared_from_this();
  std::string why;
  if (!server_.admit(client_.ip, why)) {
    log::warn("{}: {} from {}", why, "connection refused", client_name_);
    co_await close_with(Reply(421, "4.7.0", lim_.hostname + " Error: " + why));
    co_return;
  }
  log::info("connect from {}", client_name_);
  watchdog_ = std::make_shared<io::Watchdog>(sock_, sock_.get_executor());
  watchdog_->start();
  watchdog_->arm(lim_.timeout);

  auto verdict = services_->policy->on_connect(client_);
  if (sock_.available() > 0) {
    // RFC 5321 4.3.1: the client must wait for the greeting (early talker).
    co_await close_with(Reply(554, "5.5.0", "Error: SMTP protocol synchronization"));
  } else if (verdict.rejects()) {
    rejected_at_connect_ = true;
    log::info("NOQUEUE: reject: CONNECT from {}: {} {} {}", client_name_, verdict.code, verdict.enhanced, verdict.text);
    out_ += Reply(554, "", lim_.hostname + " ESMTP not accepting messages").format();
  } else {
    out_ += Reply(220, "", lim_.banner).format();
  }

  while (!closing_) {
    auto next = splitter_.next();
    if (next.kind == LineSplitter::Kind::need_more) {
      if (splitter_.pending_size() == 0) co_await flush();
      if (closing_) break;
      if (interrupted_ || server_.shutting_down()) {
        // SIGTERM arrived while this session was busy (error sleep, commit):
        // nothing is waiting to be read, so say goodbye now.
        co_await close_with(Reply(421, "4.3.2", lim_.hostname + " Service shutting down, closing transmission channel"));
        break;
      }
      if (!co_await fill()) {
        if (watchdog_->fired()) {
          log::info("timeout after {} from {}", "command", client_name_);
          co_await close_with(Reply(421, "4.4.2", lim_.hostname + " Error: timeout exceeded"));
        } else if (interrupted_ || server_.shutting_down()) {
          co_await close_with(Reply(421, "4.3.2", lim_.hostname + " Service shutting down, closing transmission channel"));
        }
        break;
      }
      continue;
    }
    watchdog_->arm(lim_.timeout);
    if (next.kind == LineSplitter::Kind::too_long) {
      reply(500, "5.5.2", "Error: line too long");
    } else {
      auto parsed = parse_command(next.line, ParseLimits{16, lim_.smtputf8});
      if (auto* r = std::get_if<Reply>(&parsed)) {
        reply(*r);
      } else {
        co_await dispatch(std::get<Command>(parsed));
      }
    }
    if (errors_ >= lim_.hard_errors && !closing_) {
      log::warn("too many errors after {} from {}", "command", client_name_);
      co_await close_with(Reply(421, "4.7.0", lim_.hostname + " Error: too many errors"));
    }
  }
  if (!closing_) {
    asio::error_code ec;
    sock_.close(ec);
  }
  reset_transaction();
  watchdog_->stop();
  server_.release(client_.ip);
  log::info("disconnect from {}", client_name_);
}

asio::awaitable<void> Session::dispatch(Command& c) {
  if (rejected_at_connect_ && c.verb != Verb::quit && c.verb != Verb::noop) {
    reply(503, "5.7.0", "Error: access denied for " + client_name_);
    co_return;
  }
  switch (c.verb) {
    case Verb::helo: cmd_helo(c, false); break;
    case Verb::ehlo: cmd_helo(c, true); break;
    case Verb::mail: cmd_mail(c); break;
    case Verb::rcpt: cmd_rcpt(c); break;
    case Verb::data: co_await cmd_data(); break;
    case Verb::bdat: co_await cmd_bdat(c); break;
    case Verb::rset: cmd_rset(); break;
    case Verb::noop: reply(250, "2.0.0", "Ok"); break;
    case Verb::quit: co_await cmd_quit(); break;
    case Verb::vrfy: cmd_vrfy(c); break;
    case Verb::expn: reply(502, "5.5.1", "Error: command not implemented"); break;
    case Verb::help: reply(214, "2.0.0", "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP"); break;
    case Verb::starttls:
    case Verb::auth: reply(502, "5.5.1", "Error: command not implemented"); break;
  }
}

}  // namespace tern::smtp
