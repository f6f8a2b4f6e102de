// The SMTP client: one session with one remote server that carries one
// message to some of its recipients (issue 9, item 3). The caller (the
// remote delivery agent) chooses the host, connects, and hands the
// connected stream in; run_session() speaks SMTP over it and answers one
// result per recipient, in Postfix's words, so the log, mailq and bounces
// can show what the server said.
//
// What it does, in order (docs/behaviour.md, "The SMTP client"): greeting
// (2xx needed), EHLO (HELO when EHLO gets 5xx), STARTTLS per the TLS level,
// EHLO again inside TLS, AUTH PLAIN or LOGIN when credentials are given,
// the SIZE and SMTPUTF8 checks, MAIL + RCPT (+ DATA) in one write when the
// server offers PIPELINING (RFC 2920), the content by DATA (CRLF,
// dot-stuffed) or BDAT (CHUNKING), QUIT. Each stage runs under its own
// time limit (the smtp_*_timeout parameters) by an io::Watchdog.
//
// SECURITY: the server is untrusted (RELIABILITY.md #45). Its replies go
// through smtp::ReplyParser (bounded, control bytes replaced), diagnostics
// use reply_summary() (printable ASCII, bounded); plaintext the server
// sent after its STARTTLS 220 is discarded, never read inside TLS; a
// password is never sent outside TLS when auth_needs_tls; the content is
// never sent after a refused DATA or with no recipient accepted. Whatever
// the server sends, the session ends (timeouts) and every recipient gets
// exactly one outcome.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "io/clock.h"
#include "io/stream.h"
#include "io/tls_stream.h"
#include "smtp/proto/transaction.h"

namespace tern::smtp::client {

// none, may, encrypt, verify (io/tls_stream.h, so that the tls module's
// policy lookup returns the same type).
using TlsLevel = io::TlsLevel;

struct Credentials {
  std::string user, password;
};

struct Settings {
  std::string helo_name;  // smtp_helo_name, default $myhostname
  std::chrono::seconds connect_timeout{30}, helo_timeout{300}, mail_timeout{300}, rcpt_timeout{300},
      data_init_timeout{120}, data_xfer_timeout{180}, data_done_timeout{600}, starttls_timeout{300},
      quit_timeout{300};  // smtp_*_timeout, Postfix defaults
  TlsLevel tls = TlsLevel::may;
  const io::TlsClient* tls_client = nullptr;  // null: TLS not possible (level may then goes plain)
  int tls_loglevel = 0;                       // smtp_tls_loglevel: 1 logs each TLS session
  std::optional<Credentials> auth;            // from smtp_sasl_password_maps, found by the caller
  bool auth_needs_tls = true;                 // smtp_sasl_security_options = noplaintext
  bool pipelining = true;                     // use PIPELINING when offered
  bool chunking = true;                       // use BDAT when CHUNKING is offered
  // smtp_discard_ehlo_keywords, lower-case ("dsn", "size", "starttls", ...):
  // the server is treated as not offering them.
  std::vector<std::string> discard_ehlo_keywords;
  // Content beyond this goes in several BDAT chunks of this size.
  size_t bdat_chunk_bytes = 1024 * 1024;
};

// The settings from main.cf (smtp_helo_name, smtp_*_timeout,
// smtp_discard_ehlo_keywords, smtp_sasl_security_options,
// smtp_tls_loglevel). tls, tls_client and auth are the caller's: they
// depend on the destination.
Settings read_settings(const config::Config& cfg);

struct Envelope {
  std::string sender;  // "" for <>
  struct Recipient {
    std::string address, notify /*"SUCCESS,FAILURE" or ""*/, orcpt /*"rfc822;a@b" or ""*/;
  };
  std::vector<Recipient> recipients;  // at most what one transaction may carry
  bool smtputf8 = false, eightbit = false;
  std::string ret /*"FULL"|"HDRS"|""*/, envid;
};

struct RecipientResult {
  smtp::Outcome outcome = smtp::Outcome::deferred;  // sent, deferred or bounced (transaction.h)
  std::string dsn;                                  // "2.0.0", "4.4.2", "5.1.1" ... from the reply or chosen
  std::string diagnostic;                           // Postfix's words: "host mx.example.com[192.0.2.1] said: 550 5.1.1
                                                    // <a@b>: no such user (in reply to RCPT TO command)", or
                                                    // "conversation with ... timed out while sending MAIL FROM",
                                                    // or the success text "250 2.0.0 Ok: queued as ABC"
  bool relayed = false;        // sent, NOTIFY had SUCCESS, server has no DSN: report "relayed"
  bool rcpt_accepted = false;  // the server answered this RCPT TO with 2xx
};

struct SessionResult {
  std::vector<RecipientResult> recipients;  // same order as Envelope::recipients
  // The failure belongs to this host, not to the mail: lost/refused before MAIL was answered, 4xx/5xx
  // greeting, 4xx/5xx to EHLO/HELO, 4xx to MAIL, TLS required and unavailable or failed, AUTH failed:
  // the caller tries the next MX host for the recipients still deferred (Postfix's smtp_mx_session_limit logic).
  bool try_next_host = false;
  // The TLS handshake failed at level may (the recipients are deferred,
  // try_next_host is set): Postfix then tries the same host again in
  // plaintext, which the caller may do with a new connection and level none.
  bool tls_handshake_failed = false;
  std::string tls;  // "TLSv1.3 with cipher X (256/256 bits)" or ""
  std::string tls_trust;  // "Verified", "Trusted", "Untrusted" with TLS; "" without
};

// The failure of open_session(): why the host could not be used.
struct OpenFailure {
  std::string diagnostic, dsn;  // Postfix's words, RFC 3463 ("4.4.2")
  bool try_next_host = true;
  bool tls_handshake_failed = false;  // as in SessionResult
};

// An open session with one server, past the greeting, EHLO, STARTTLS and
// AUTH, that carries one mail transaction after another: the connection
// cache (remote/) keeps it between messages for the same destination, so
// the next one skips the connection and the handshakes (Postfix's
// smtp_connection_cache_*). Not thread-safe: one coroutine at a time.
class Session {
 public:
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  // One transaction (MAIL, RCPT, DATA/BDAT), results as run_session's.
  // After a transaction that did not end at the end of data (MAIL or every
  // RCPT refused), RSET brings the server back before reuse. A reused
  // session that fails before the server answers MAIL was most likely
  // closed while idle: stale() is then true, and the caller tries a new
  // connection rather than counting it against the host.
  asio::awaitable<SessionResult> send(const Envelope& env, std::string_view content);
  // Another transaction may follow (no failure, no 421, server in step).
  bool reusable() const;
  bool stale() const { return stale_; }
  // Before reusing a cached session: reusable() and the server has sent
  // nothing while it waited (a server that timed the connection out says
  // 421 and closes; that reply would otherwise be read as MAIL's).
  bool still_open() const;
  // Transactions carried so far, and when the session was opened.
  int transactions() const { return transactions_; }
  std::chrono::steady_clock::time_point opened() const { return opened_; }
  const std::string& relay() const { return relay_; }
  // QUIT (bounded by smtp_quit_timeout) and close; a failure changes nothing.
  asio::awaitable<void> quit();
  // Closes the connection at once (shutdown, no QUIT).
  void close();
  struct State;  // session.cpp's

 private:
  friend struct SessionOpener;
  Session() = default;
  std::unique_ptr<State> st_;
  std::string relay_;
  std::chrono::steady_clock::time_point opened_;
  int transactions_ = 0;
  bool stale_ = false;
};

struct OpenResult {
  std::unique_ptr<Session> session;  // null on failure
  OpenFailure failure;
  std::string tls, tls_trust;  // as in SessionResult
};

// Greeting, EHLO/HELO, STARTTLS per settings.tls, AUTH: a session ready
// for transactions, or why not. settings are copied; clock is borrowed
// and must outlive the session.
asio::awaitable<OpenResult> open_session(std::unique_ptr<io::Stream> stream, std::string server_name,
                                         std::string relay, const Settings& settings, io::Clock& clock);

// open_session(), one send(), quit(): one message over one connection.
// `stream`: already connected (the caller connects with connect_timeout and tries addresses);
// server_name: the host name (SNI, verification, diagnostics); relay: "mx.example.com[192.0.2.1]:25".
// content: the message, LF line endings, headers first (the queue stores it so); the client sends CRLF,
// dot-stuffed (or BDAT when CHUNKING is offered). Every stage under its timeout (io::Watchdog + io::Clock).
// settings, env, content and clock are borrowed: they must outlive the coroutine.
asio::awaitable<SessionResult> run_session(std::unique_ptr<io::Stream> stream, std::string server_name,
                                           std::string relay, const Settings& settings, const Envelope& env,
                                           std::string_view content, io::Clock& clock);

}  // namespace tern::smtp::client
