// The session loop and command dispatch (see session.h).
#include "smtp/server/session.h"

#include "base/log.h"
#include "base/strings.h"
#include "io/session_steps.h"

namespace tern::smtp {

namespace {
// A command line over smtpd_command_line_limit is answered 500 5.5.2 and
// discarded up to its LF; a client that goes on sending this much more
// without any LF is not speaking SMTP and is cut off (RELIABILITY.md #5),
// while a single long line followed by CRLF keeps the session in sync.
constexpr size_t kMaxDiscardBytes = 256 * 1024;

// The snapshot as the session's listener sees it (services.h).
std::shared_ptr<const Services> for_listener(std::shared_ptr<const Services> s, ListenerKind kind) {
  if (kind == ListenerKind::submission && s->submission) return s->submission;
  if (kind == ListenerKind::submissions && s->submissions) return s->submissions;
  return s;
}
}  // namespace

SessionLimits read_limits(const config::Config& c) {
  SessionLimits l;
  l.command_line_bytes = static_cast<size_t>(c.integer("smtpd_command_line_limit"));
  l.message_bytes = c.limit_bytes("message_size_limit");
  l.recipients = static_cast<size_t>(c.integer("smtpd_recipient_limit"));
  l.soft_errors = static_cast<int>(c.integer("smtpd_soft_error_limit"));
  l.hard_errors = static_cast<int>(c.integer("smtpd_hard_error_limit"));
  l.junk_commands = static_cast<int>(c.integer("smtpd_junk_command_limit"));
  l.error_sleep = std::chrono::milliseconds(c.seconds("smtpd_error_sleep_time") * 1000);
  l.timeout = std::chrono::seconds(c.seconds("smtpd_timeout"));
  l.hopcount = static_cast<int>(c.integer("hopcount_limit"));
  l.header_bytes = static_cast<uint64_t>(c.bytes("header_size_limit"));
  l.header_lines = static_cast<uint64_t>(c.integer("header_line_limit"));
  l.queue_minfree = static_cast<uint64_t>(c.bytes("queue_minfree"));
  l.normalize_bare_newline = str::iequals(c.get("smtpd_forbid_bare_newline"), "normalize");
  l.vrfy_enabled = !c.boolean("disable_vrfy_command");
  l.helo_required = c.boolean("smtpd_helo_required");
  l.peername_lookup = c.boolean("smtpd_peername_lookup");
  l.smtputf8 = c.boolean("smtputf8_enable");
  l.sasl_auth_enable = c.boolean("smtpd_sasl_auth_enable");
  l.tls_auth_only = c.boolean("smtpd_tls_auth_only");
  l.sasl_failure_limit = static_cast<int>(c.integer("smtpd_sasl_failure_limit"));
  l.sasl_failure_sleep = std::chrono::seconds(c.seconds("smtpd_sasl_failure_sleep_time"));
  l.sasl_failure_window = std::chrono::seconds(c.seconds("smtpd_sasl_failure_window"));
  l.hostname = c.get("myhostname");
  l.banner = c.get("smtpd_banner");
  std::string level = c.get("smtpd_tls_security_level");
  l.tls_offered = level != "none";
  l.tls_required = level == "encrypt";
  l.tls_loglevel = static_cast<int>(c.integer("smtpd_tls_loglevel"));
  l.tls_received_header = c.boolean("smtpd_tls_received_header");
  return l;
}

Session::Session(SessionHost& host, std::unique_ptr<io::Stream> stream, io::Peer peer, ListenerKind kind)
    : host_(host),
      services_(for_listener(host.services(), kind)),
      stream_(std::move(stream)),
      kind_(kind),
      lim_(services_->limits),
      splitter_(lim_.command_line_bytes, kMaxDiscardBytes) {
  client_.ip = std::move(peer.ip);
  client_name_ = "unknown[" + client_.ip + "]";
  host_.add(this);
}

Session::~Session() { host_.remove(this); }

void Session::interrupt() {
  interrupted_ = true;
  stream_->cancel();
}

asio::awaitable<bool> Session::fill(const char* during) {
  // After SIGTERM no read starts: a read whose data had arrived before
  // interrupt() cancelled it completes normally, and the next one would
  // wait for the client (inside DATA, until the timeout).
  if (interrupted_ || host_.shutting_down()) {
    hang_up(HangUp::shutdown);
    co_return false;
  }
  size_t n = 0;
  auto got = co_await io::read_before_deadline(*stream_, watchdog_.get(), read_buf_, n);
  if (got == io::ReadOutcome::data) {
    splitter_.feed(std::string_view(read_buf_.data(), n));
    co_return true;
  }
  if (got == io::ReadOutcome::timeout) {
    log::info("timeout after {} from {}", during, client_name_);
    hang_up(HangUp::timeout);
  } else if (interrupted_ || host_.shutting_down()) {
    hang_up(HangUp::shutdown);
  } else {
    log::info("lost connection after {} from {}", during, client_name_);
    stream_->close();
    closed_ = true;
  }
  co_return false;
}

asio::awaitable<void> Session::run() {
  auto self = shared_from_this();
  std::string why;
  if (!host_.admit(client_.ip, why)) {
    log::warn("{}: {} from {}", why, "connection refused", client_name_);
    if (kind_ == ListenerKind::submissions) {
      stream_->close();  // port 465 speaks TLS first: a plaintext 421 would be noise
      co_return;
    }
    hang_up(HangUp::refused, why);
    co_await flush();
    co_return;
  }
  // As Postfix: the client's name is known before the greeting, so that
  // every line of the session (and Received:) carries it.
  if (lim_.peername_lookup) {
    client_.name = co_await host_.peer_name(client_.ip);
    client_name_ = client_.name + "[" + client_.ip + "]";
  }
  log::info("connect from {}", client_name_);
  watchdog_ = std::make_shared<io::Watchdog>(*stream_, host_.clock());
  watchdog_->start();
  watchdog_->arm(lim_.timeout);

  // Port 465 (RFC 8314): TLS from the first byte, before the greeting.
  if (kind_ == ListenerKind::submissions && !co_await start_tls()) {
    watchdog_->stop();
    host_.release(client_.ip);
    log::info("disconnect from {}", client_name_);
    co_return;
  }
  auto verdict = services_->policy->on_connect(client_);
  if (stream_->available() > 0) {
    // RFC 5321 4.3.1: the client must wait for the greeting (early talker).
    log::warn("improper command pipelining before greeting from {}", client_name_);
    hang_up(HangUp::sync);
  } else if (verdict.rejects()) {
    rejected_at_connect_ = true;
    log::info("NOQUEUE: reject: CONNECT from {}: {} {} {}", client_name_, verdict.code, verdict.enhanced, verdict.text);
    reply(554, "", lim_.hostname + " ESMTP not accepting messages");
  } else {
    reply(220, "", lim_.banner);
  }

  while (!closed_) {
    if (hang_up_) {
      co_await flush();
      break;
    }
    auto next = splitter_.next();
    if (next.kind == LineSplitter::Kind::need_more) {
      // About to wait for the client: send what is queued, also when part
      // of a line is pending (a client may wait for these replies first).
      co_await flush();
      if (closed_) break;
      if (interrupted_ || host_.shutting_down()) {
        // SIGTERM arrived while this session was busy (error sleep, commit):
        // nothing is waiting to be read, so say goodbye now.
        hang_up(HangUp::shutdown);
        continue;
      }
      (void)co_await fill("command");
      continue;
    }
    watchdog_->arm(lim_.timeout);
    if (next.kind == LineSplitter::Kind::flood) {
      log::warn("command line flood from {}", client_name_);
      hang_up(HangUp::line_flood);
      continue;
    }
    if (next.kind == LineSplitter::Kind::too_long) {
      reply(500, "5.5.2", "Error: line too long");
    } else {
      auto parsed = parse_command(next.line, ParseLimits{16, lim_.smtputf8});
      if (auto* r = std::get_if<Reply>(&parsed)) {
        if (tx_.bdat && str::istarts_with(next.line, "BDAT")) {
          // A malformed BDAT inside a chunked transaction: where its chunk
          // ends is unknown, so the transaction cannot go on (RELIABILITY.md
          // #44); the client starts again with MAIL.
          log::info("{}: reject: malformed BDAT from {}; transaction reset", tx_.draft->id(), client_name_);
          reset_transaction();
        }
        reply(*r);
      } else {
        co_await dispatch(std::get<Command>(parsed));
      }
    }
    if (errors_ >= lim_.hard_errors && !hang_up_ && !closed_) {
      log::warn("too many errors after {} from {}", "command", client_name_);
      hang_up(HangUp::too_many_errors);
    }
  }
  if (!closed_) stream_->close();
  reset_transaction();
  watchdog_->stop();
  host_.release(client_.ip);
  log::info("disconnect from {}", client_name_);
}

asio::awaitable<void> Session::dispatch(Command& c) {
  const CommandSpec& s = spec(c.verb);
  if (rejected_at_connect_ && c.verb != Verb::quit && c.verb != Verb::noop) {
    reply(503, "5.7.0", "Error: access denied for " + client_name_);
    co_return;
  }
  // Postfix's smtpd_junk_command_limit: a client looping on NOOP or RSET
  // would otherwise hold the connection forever, each command moving the
  // deadline.
  if ((s.flags & kJunk) && ++junk_ > lim_.junk_commands) ++errors_;
  if (lim_.tls_required && !tls_active_ && !(s.flags & kPreTls)) {
    reply(530, "5.7.0", "Must issue a STARTTLS command first");
    co_return;
  }
  co_await (this->*s.handler)(c);
  if ((s.flags & kLast) && !hang_up_) co_await flush();
}

}  // namespace tern::smtp
