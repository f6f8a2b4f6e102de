// The POP3 session loop, the reply writer and the settings (see session.h).
#include "pop3/server/session.h"

#include <algorithm>

#include "base/log.h"
#include "io/session_steps.h"

namespace tern::pop3 {

namespace {
// A command line past the limit is answered -ERR and discarded up to its
// LF; a client that sends this much more without any LF is not speaking
// POP3 and is cut off (as SMTP: RELIABILITY.md #5).
constexpr size_t kMaxDiscardBytes = 256 * 1024;
// Replies are sent once this much is queued, even mid-RETR.
constexpr size_t kFlushBytes = 64 * 1024;
}  // namespace

Settings read_settings(const config::Config& c) {
  Settings s;
  s.hostname = c.get("myhostname");
  s.timeout = std::chrono::seconds(c.seconds("pop3d_timeout"));
  s.tls_auth_only = c.boolean("pop3d_tls_auth_only");
  s.failure_limit = static_cast<int>(c.integer("smtpd_sasl_failure_limit"));
  s.failure_sleep = std::chrono::seconds(c.seconds("smtpd_sasl_failure_sleep_time"));
  s.failure_window = std::chrono::seconds(c.seconds("smtpd_sasl_failure_window"));
  return s;
}

Session::Session(SessionHost& host, std::unique_ptr<io::Stream> stream, io::Peer peer, bool implicit_tls)
    : host_(host),
      services_(host.services()),
      set_(services_->settings),
      stream_(std::move(stream)),
      ip_(std::move(peer.ip)),
      client_name_("[" + ip_ + "]"),
      implicit_tls_(implicit_tls),
      splitter_(kMaxLineBytes, kMaxDiscardBytes) {
  host_.add(this);
}

Session::~Session() { host_.remove(this); }

void Session::interrupt() {
  interrupted_ = true;
  stream_->cancel();
}

void Session::bad(std::string_view text, RespCode code) {
  ++bad_commands_;
  err(text, code);
}

void Session::hang_up(std::string line) {
  out_ += line;
  hang_up_ = true;
}

asio::awaitable<void> Session::flush() {
  if (closed_) co_return;
  if (!out_.empty()) {
    asio::error_code ec;
    co_await stream_->write(asio::buffer(out_), ec);
    out_.clear();
    if (ec) {
      log::info("pop3: lost connection writing to {}", client_name_);
      hang_up_ = true;
    }
  }
  if (hang_up_) {
    stream_->close();
    closed_ = true;
  }
}

asio::awaitable<bool> Session::fill(const char* during) {
  auto shutting_down = [this] { return interrupted_ || host_.shutting_down(); };
  if (shutting_down()) {
    hang_up(err_line("Server shutting down", RespCode::sys_temp));
    co_return false;
  }
  size_t n = 0;
  auto got = co_await io::read_before_deadline(*stream_, watchdog_.get(), read_buf_, n);
  if (got == io::ReadOutcome::data) {
    splitter_.feed(std::string_view(read_buf_.data(), n));
    co_return true;
  }
  if (got == io::ReadOutcome::timeout) {
    log::info("pop3: timeout after {} from {}", during, client_name_);
    hang_up(err_line("Disconnected for inactivity"));
  } else if (shutting_down()) {
    hang_up(err_line("Server shutting down", RespCode::sys_temp));
  } else {
    log::info("pop3: lost connection after {} from {}", during, client_name_);
    stream_->close();
    closed_ = true;
  }
  co_return false;
}

asio::awaitable<void> Session::run() {
  auto self = shared_from_this();
  log::info("pop3: connect from {}", client_name_);
  watchdog_ = std::make_shared<io::Watchdog>(*stream_, host_.clock());
  watchdog_->start();
  watchdog_->arm(set_.timeout);
  if (implicit_tls_ && !co_await start_tls()) {
    watchdog_->stop();
    log::info("pop3: disconnect from {}", client_name_);
    co_return;
  }
  // No APOP timestamp in the greeting: APOP is not offered (RFC 1939 section 7).
  ok(set_.hostname + " POP3 server ready");

  while (!closed_) {
    if (hang_up_) {
      co_await flush();
      break;
    }
    auto next = splitter_.next();
    if (next.kind == smtp::LineSplitter::Kind::need_more) {
      co_await flush();
      if (closed_) break;
      (void)co_await fill("command");
      continue;
    }
    watchdog_->arm(set_.timeout);
    if (next.kind == smtp::LineSplitter::Kind::flood) {
      log::warn("pop3: command line flood from {}", client_name_);
      hang_up(err_line("Command line too long"));
      continue;
    }
    if (next.kind == smtp::LineSplitter::Kind::too_long) {
      bad("Command line too long");
    } else {
      auto parsed = parse_command(next.line);
      if (auto* e = std::get_if<ParseError>(&parsed)) {
        bad(e->text);
      } else {
        co_await dispatch(std::get<Command>(parsed));
      }
    }
    if (out_.size() >= kFlushBytes) co_await flush();
    if (bad_commands_ >= kMaxBadCommands && !hang_up_ && !closed_) {
      log::warn("pop3: too many bad commands from {}", client_name_);
      hang_up(err_line("Too many bad commands"));
    }
  }
  if (!closed_) stream_->close();
  if (drop_) {
    // Not the UPDATE state: marks are forgotten (RFC 1939 section 6).
    size_t marked = static_cast<size_t>(std::count(deleted_.begin(), deleted_.end(), true));
    if (marked > 0)
      log::info("pop3: {} of {}: {} message(s) marked for deletion kept: the session did not end with QUIT",
                client_name_, user_, marked);
    drop_.reset();  // releases the lock
  }
  watchdog_->stop();
  log::info("pop3: disconnect from {}", client_name_);
}

asio::awaitable<void> Session::dispatch(const Command& c) {
  const CommandSpec& s = spec(c.verb);
  unsigned now = state_ == State::authorization ? kAuthorization : kTransaction;
  if (!(s.states & now)) {
    bad(state_ == State::authorization ? "Not logged in" : "Already logged in");
    co_return;
  }
  co_await (this->*s.handler)(c);
}

}  // namespace tern::pop3
