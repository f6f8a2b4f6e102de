// run_session: the connection-level steps of the SMTP client (greeting,
// EHLO/HELO, STARTTLS, AUTH, the checks before MAIL, QUIT); the mail
// transaction itself is in mail_transaction.cpp. See client.h for the
// contract and docs/behaviour.md for the choices.
#include <algorithm>

#include "base/log.h"
#include "mail/address.h"
#include "sasl/mechanism.h"
#include "smtp/client/client.h"
#include "smtp/client/content.h"
#include "smtp/client/conversation.h"
#include "smtp/client/session_steps.h"
#include "smtp/proto/ehlo_parser.h"

namespace tern::smtp::client {

namespace {

// "mx.example.com[192.0.2.1]:25" -> "mx.example.com[192.0.2.1]", the form
// Postfix's diagnostics use.
std::string host_of(const std::string& relay) {
  auto bracket = relay.rfind(']');
  if (bracket != std::string::npos && bracket + 1 < relay.size() && relay[bracket + 1] == ':')
    return relay.substr(0, bracket + 1);
  return relay;
}

void discard_keywords(EhloCapabilities& caps, const std::vector<std::string>& discard) {
  for (const auto& k : discard) {
    if (k == "pipelining") caps.pipelining = false;
    else if (k == "size") caps.size = false, caps.size_limit = 0;
    else if (k == "8bitmime") caps.eightbitmime = false;
    else if (k == "smtputf8") caps.smtputf8 = false;
    else if (k == "chunking") caps.chunking = false;
    else if (k == "dsn") caps.dsn = false;
    else if (k == "starttls") caps.starttls = false;
    else if (k == "auth") caps.auth.clear();
    else if (k == "enhancedstatuscodes") caps.enhancedstatuscodes = false;
  }
}

// EHLO, or HELO when EHLO gets 5xx. False when the host refused (the
// recipients are decided and try_next_host is set).
asio::awaitable<bool> greet(Steps& s, bool after_tls) {
  auto& c = s.conv;
  std::string ehlo = "EHLO " + s.settings.helo_name + "\r\n";
  if (!co_await c.send(ehlo, s.settings.helo_timeout, "performing the EHLO handshake")) co_return false;
  auto r = co_await c.read_reply(s.settings.helo_timeout, "performing the EHLO handshake");
  if (!r) co_return false;
  if (r->code >= 200 && r->code < 300) {
    s.caps = parse_ehlo(*r);
    discard_keywords(s.caps, s.settings.discard_ehlo_keywords);
    co_return true;
  }
  if (r->code < 500 || after_tls) {
    s.host_refused(*r, "EHLO");
    co_return false;
  }
  std::string helo = "HELO " + s.settings.helo_name + "\r\n";
  if (!co_await c.send(helo, s.settings.helo_timeout, "performing the HELO handshake")) co_return false;
  r = co_await c.read_reply(s.settings.helo_timeout, "performing the HELO handshake");
  if (!r) co_return false;
  if (r->code < 200 || r->code >= 300) {
    s.host_refused(*r, "HELO");
    co_return false;
  }
  s.caps = EhloCapabilities{};  // HELO: no extensions
  co_return true;
}

// STARTTLS per the level; true to go on (in TLS or, at may, in plaintext).
asio::awaitable<bool> maybe_starttls(Steps& s, SessionResult& out) {
  const Settings& st = s.settings;
  bool required = st.tls == TlsLevel::encrypt || st.tls == TlsLevel::verify;
  if (st.tls == TlsLevel::none) co_return true;
  if (!st.tls_client) {
    if (!required) co_return true;
    s.fail_host("TLS is required, but our TLS engine is unavailable", "4.7.5");
    co_return false;
  }
  if (!s.caps.starttls) {
    if (!required) co_return true;
    s.fail_host("TLS is required, but was not offered by host " + s.conv.host(), "4.7.4");
    co_return false;
  }
  auto& c = s.conv;
  if (!co_await c.send("STARTTLS\r\n", st.starttls_timeout, "sending STARTTLS")) co_return false;
  auto r = co_await c.read_reply(st.starttls_timeout, "sending STARTTLS");
  if (!r) co_return false;
  if (r->code != 220) {
    if (!required) {
      log::info("{}: STARTTLS refused, going on in plaintext: {}", c.host(), reply_summary(*r));
      co_return true;
    }
    s.fail_host("TLS is required, but host " + c.host() + " refused to start TLS: " + reply_summary(*r), "4.7.5");
    co_return false;
  }
  io::TlsSummary sum;
  if (!co_await c.start_tls(*st.tls_client, s.server_name, required, st.starttls_timeout, sum)) {
    out.tls_handshake_failed = !required;
    co_return false;
  }
  out.tls = sum.protocol + " with cipher " + sum.cipher + " (" + std::to_string(sum.bits) + "/" +
            std::to_string(sum.alg_bits) + " bits)";
  out.tls_trust = io::trust_word(sum.trust);
  if (st.tls_loglevel >= 1)
    log::info("{} TLS connection established to {}: {}", out.tls_trust, s.relay, out.tls);
  if (st.tls == TlsLevel::verify && sum.trust != io::TlsSummary::Trust::verified) {
    log::info("server certificate verification failed for {}: {}", s.relay, sum.verify_error);
    s.fail_host("Server certificate not verified (" + sum.verify_error + ")", "4.7.5");
    co_return false;
  }
  co_return co_await greet(s, true);
}

// AUTH PLAIN or LOGIN when credentials are given and the server offers AUTH.
asio::awaitable<bool> maybe_auth(Steps& s, bool tls_active) {
  const Settings& st = s.settings;
  if (!st.auth || s.caps.auth.empty()) co_return true;  // as Postfix: go on, the server decides
  auto& c = s.conv;
  std::string cannot = "SASL authentication failed; cannot authenticate to server " + c.host() + ": ";
  if (st.auth_needs_tls && !tls_active) {
    s.fail_host(cannot + "no mechanism available (smtp_sasl_security_options forbids a password without TLS)",
                "4.7.0");
    co_return false;
  }
  bool plain = s.caps.offers_auth("PLAIN");
  if (!plain && !s.caps.offers_auth("LOGIN")) {
    s.fail_host(cannot + "no mechanism available (tern speaks PLAIN and LOGIN)", "4.7.0");
    co_return false;
  }
  const char* doing = "performing SASL authentication";
  std::optional<Reply> r;
  if (plain) {
    std::string cmd = "AUTH PLAIN " + sasl::client_plain_response(st.auth->user, st.auth->password) + "\r\n";
    bool sent = co_await c.send(cmd, st.helo_timeout, doing);
    std::fill(cmd.begin(), cmd.end(), '\0');
    if (!sent) co_return false;
    r = co_await c.read_reply(st.helo_timeout, doing);
  } else {
    if (!co_await c.send("AUTH LOGIN\r\n", st.helo_timeout, doing)) co_return false;
    sasl::LoginClient login(st.auth->user, st.auth->password);
    // User name, password, then "*" to a third challenge: a server that
    // goes on challenging is refused rather than answered for ever.
    for (int round = 0;; ++round) {
      r = co_await c.read_reply(st.helo_timeout, doing);
      if (!r || r->code != 334) break;
      if (round == 3) {
        s.fail_host("SASL authentication failed; server " + c.host() + " sent too many challenges", "4.7.0");
        co_return false;
      }
      auto answer = login.respond(r->lines.empty() ? "" : r->lines.front());
      std::string line = answer ? *answer + "\r\n" : "*\r\n";
      bool sent = co_await c.send(line, st.helo_timeout, doing);
      std::fill(line.begin(), line.end(), '\0');
      if (!sent) co_return false;
    }
  }
  if (!r) co_return false;
  if (r->code >= 200 && r->code < 300) co_return true;
  if (r->closes()) s.hung_up = true;
  s.fail_host("SASL authentication failed; server " + c.host() + " said: " + reply_summary(*r),
              r->enhanced.empty() ? "4.7.0" : dsn_for(*r, Outcome::deferred));
  co_return false;
}

// The message-level checks against what the server offers: false when
// every recipient is decided (bounced).
bool message_fits(Steps& s) {
  if (s.env.smtputf8 && !s.caps.smtputf8) {
    s.decide_all(Outcome::bounced, "5.6.7", "SMTPUTF8 is required, but was not offered by host " + s.conv.host());
    return false;
  }
  uint64_t size = wire_size(s.content);
  if (s.caps.size_limit && size > s.caps.size_limit) {
    s.decide_all(Outcome::bounced, "5.3.4",
                 "message size " + std::to_string(size) + " exceeds size limit " + std::to_string(s.caps.size_limit) +
                     " of server " + s.conv.host());
    return false;
  }
  return true;
}

}  // namespace

// What a Session keeps between transactions.
struct Session::State {
  Settings settings;
  std::string server_name, relay;
  std::unique_ptr<Conversation> conv;
  EhloCapabilities caps;
  bool hung_up = false;
  bool in_step = true;  // the server is in its initial state (no transaction open)
};

// open_session's access to Session's private constructor.
struct SessionOpener {
  static std::unique_ptr<Session> make(std::unique_ptr<Session::State> st) {
    std::unique_ptr<Session> s(new Session());
    s->relay_ = st->relay;
    s->opened_ = std::chrono::steady_clock::now();
    s->st_ = std::move(st);
    return s;
  }
};

Session::~Session() { close(); }

void Session::close() {
  if (st_ && st_->conv) st_->conv->close();
}

bool Session::reusable() const {
  return st_ && !st_->conv->failed() && !st_->hung_up && st_->in_step;
}

bool Session::still_open() const { return reusable() && st_->conv->quiet(); }

asio::awaitable<SessionResult> Session::send(const Envelope& env, std::string_view content) {
  SessionResult out;
  out.recipients.resize(env.recipients.size());
  State& st = *st_;
  Conversation& conv = *st.conv;
  Steps s{conv, st.settings, env, content, st.server_name, st.relay, out, st.caps,
          std::vector<bool>(env.recipients.size(), false)};
  const bool reused = transactions_ > 0;
  ++transactions_;
  st.in_step = false;
  if (message_fits(s)) {
    co_await run_transaction(s);
  } else {
    s.data_done = true;  // nothing was sent: the server is still in step
  }
  if (conv.failed()) {
    // Lost, timed out or malformed: what is not decided yet is deferred
    // with that; before MAIL was answered it is this host's fault, or,
    // on a reused connection, the connection's (closed while idle).
    if (!s.mail_answered) out.try_next_host = true;
    stale_ = reused && !s.mail_answered;
    s.decide_all(Outcome::deferred, conv.failure().dsn, conv.failure().diagnostic);
  } else if (s.hung_up) {
    st.hung_up = true;
  } else if (s.data_done) {
    st.in_step = true;
  } else if (co_await conv.send("RSET\r\n", st.settings.quit_timeout, "sending RSET")) {
    // MAIL, every RCPT or DATA refused: RSET ends the transaction (RFC 5321 4.1.1.5).
    auto r = co_await conv.read_reply(st.settings.quit_timeout, "sending RSET");
    st.in_step = r && r->code >= 200 && r->code < 300;
    if (r && r->closes()) st.hung_up = true;
  }
  // Anything still undecided (a path above forgot it) is deferred, never lost.
  s.decide_all(Outcome::deferred, "4.3.0", "conversation with " + conv.host() + " ended without a reply");
  co_return out;
}

asio::awaitable<void> Session::quit() {
  if (!st_) co_return;
  Conversation& conv = *st_->conv;
  if (!conv.failed() && !st_->hung_up) {
    if (co_await conv.send("QUIT\r\n", st_->settings.quit_timeout, "sending QUIT"))
      (void)co_await conv.read_reply(st_->settings.quit_timeout, "sending QUIT");  // a QUIT failure changes nothing
  }
  conv.close();
}

asio::awaitable<OpenResult> open_session(std::unique_ptr<io::Stream> stream, std::string server_name,
                                         std::string relay, const Settings& settings, io::Clock& clock) {
  OpenResult res;
  auto st = std::make_unique<Session::State>();
  st->settings = settings;
  st->server_name = std::move(server_name);
  st->relay = std::move(relay);
  st->conv = std::make_unique<Conversation>(std::move(stream), host_of(st->relay), clock);
  Conversation& conv = *st->conv;
  static const Envelope kNoMail;
  SessionResult out;
  Steps s{conv, st->settings, kNoMail, {}, st->server_name, st->relay, out, {}, {}};

  bool go = true;
  auto greeting = co_await conv.read_reply(settings.helo_timeout, "receiving the initial server greeting");
  if (!greeting) go = false;
  else if (greeting->code < 200 || greeting->code >= 300) {
    // 5xx too: Postfix's smtp_skip_5xx_greeting; another host may take the mail.
    if (greeting->closes()) s.hung_up = true;
    s.fail_host("host " + conv.host() + " refused to talk to me: " + reply_summary(*greeting),
                dsn_for(*greeting, Outcome::deferred));
    go = false;
  }
  if (go) go = co_await greet(s, false);
  if (go) go = co_await maybe_starttls(s, out);
  if (go) go = co_await maybe_auth(s, !out.tls.empty());
  res.tls = out.tls;
  res.tls_trust = out.tls_trust;
  if (go) {
    st->caps = s.caps;
    res.session = SessionOpener::make(std::move(st));
    co_return res;
  }
  // Every failure before a transaction belongs to the host.
  res.failure.tls_handshake_failed = out.tls_handshake_failed;
  if (conv.failed()) {
    res.failure.diagnostic = conv.failure().diagnostic;
    res.failure.dsn = conv.failure().dsn;
  } else {
    res.failure.diagnostic = s.host_failure;
    res.failure.dsn = s.host_dsn;
    if (!s.hung_up && co_await conv.send("QUIT\r\n", settings.quit_timeout, "sending QUIT"))
      (void)co_await conv.read_reply(settings.quit_timeout, "sending QUIT");
  }
  if (res.failure.diagnostic.empty())
    res.failure.diagnostic = "conversation with " + conv.host() + " ended without a reply";
  if (res.failure.dsn.empty()) res.failure.dsn = "4.3.0";
  conv.close();
  co_return res;
}

asio::awaitable<SessionResult> run_session(std::unique_ptr<io::Stream> stream, std::string server_name,
                                           std::string relay, const Settings& settings, const Envelope& env,
                                           std::string_view content, io::Clock& clock) {
  auto opened = co_await open_session(std::move(stream), std::move(server_name), std::move(relay), settings, clock);
  if (!opened.session) {
    SessionResult out;
    out.try_next_host = opened.failure.try_next_host;
    out.tls_handshake_failed = opened.failure.tls_handshake_failed;
    out.tls = opened.tls;
    out.tls_trust = opened.tls_trust;
    out.recipients.resize(env.recipients.size());
    for (auto& r : out.recipients) {
      r.outcome = Outcome::deferred;
      r.dsn = opened.failure.dsn;
      r.dsn[0] = '4';
      r.diagnostic = opened.failure.diagnostic;
    }
    co_return out;
  }
  auto out = co_await opened.session->send(env, content);
  out.tls = opened.tls;
  out.tls_trust = opened.tls_trust;
  co_await opened.session->quit();
  co_return out;
}

}  // namespace tern::smtp::client
