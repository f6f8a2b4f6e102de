// Session: one POP3 connection, one coroutine (RFC 1939). It reads lines
// with smtp::LineSplitter, parses them with pop3/proto, dispatches through a
// command table (command_table.cpp: verb, handler, the states it is allowed
// in), and queues every reply in one buffer that goes out when the client
// has nothing more pipelined (RFC 2449 PIPELINING) or the buffer is large.
//
// States: AUTHORIZATION (USER/PASS, AUTH, STLS, CAPA, QUIT) until a login
// opens the maildrop, whose lock is held for the rest of the session, then
// TRANSACTION. DELE only marks; QUIT in TRANSACTION is the UPDATE state,
// the one place deletions are committed. A connection that ends any other
// way (EOF, timeout, shutdown, too many errors) deletes nothing and
// releases the lock.
//
// Handlers: cmd_auth.cpp (USER, PASS, AUTH, APOP, the login),
// cmd_maildrop.cpp (STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, QUIT),
// cmd_stls.cpp (STLS and the TLS start of port 995), capabilities in
// command_table.cpp.
//
// SECURITY: everything read is untrusted. Limits: the command line (RFC
// 2449: 255 octets), a SASL response line (kSaslLineBytes), bad commands
// per session (kMaxBadCommands), the idle time per command (pop3d_timeout),
// failed logins per client address (shared with SMTP AUTH).
#pragma once

#include <array>
#include <asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/stream.h"
#include "io/tcp_stream.h"
#include "io/watchdog.h"
#include "pop3/proto/command.h"
#include "pop3/proto/reply.h"
#include "pop3/server/host.h"
#include "sasl/mechanism.h"
#include "smtp/proto/line_splitter.h"

namespace tern::pop3 {

// RFC 5034 sets no limit on a SASL response line; tern takes SMTP's
// (RFC 4954: 12288 octets).
inline constexpr size_t kSaslLineBytes = 12288;
// Bad or misplaced commands after which the session is closed (Dovecot: 20).
inline constexpr int kMaxBadCommands = 20;

class Session : public std::enable_shared_from_this<Session> {
 public:
  // implicit_tls: port 995 (RFC 8314), TLS from the first byte.
  Session(SessionHost& host, std::unique_ptr<io::Stream> stream, io::Peer peer, bool implicit_tls = false);
  ~Session();
  asio::awaitable<void> run();
  // SIGTERM: interrupt the current read; the session says goodbye and closes.
  void interrupt();

  enum class State { authorization, transaction };
  using Handler = asio::awaitable<void> (Session::*)(const Command&);
  enum Flag : unsigned { kAuthorization = 1, kTransaction = 2 };
  struct CommandSpec {
    Verb verb;
    Handler handler;
    unsigned states;
  };
  static const CommandSpec& spec(Verb v);

 private:
  // Replies: queued, sent by flush().
  void ok(std::string_view text) { out_ += ok_line(text); }
  void err(std::string_view text, RespCode code = RespCode::none) { out_ += err_line(text, code); }
  // A bad or misplaced command: -ERR, and counted.
  void bad(std::string_view text, RespCode code = RespCode::none);
  // Queues the last reply; the next flush() sends it and closes.
  void hang_up(std::string line);
  asio::awaitable<void> flush();
  // More bytes into the splitter; false when the connection is over (the
  // last reply is then queued, or the stream is closed).
  asio::awaitable<bool> fill(const char* during);
  asio::awaitable<void> dispatch(const Command& c);

  // cmd_auth.cpp
  asio::awaitable<void> cmd_user(const Command& c);
  asio::awaitable<void> cmd_pass(const Command& c);
  asio::awaitable<void> cmd_apop(const Command& c);
  asio::awaitable<void> cmd_auth(const Command& c);
  // Plaintext passwords are accepted over TLS, from loopback, or anywhere
  // when pop3d_tls_auth_only = no.
  bool login_allowed() const;
  asio::awaitable<std::optional<std::string>> read_sasl_line();
  // Checks the credentials, opens the maildrop, enters TRANSACTION.
  asio::awaitable<void> login(sasl::Credentials creds, std::string_view method);
  asio::awaitable<void> login_failed(std::string_view method, const std::string& why);
  bool too_many_failures();

  // cmd_maildrop.cpp
  asio::awaitable<void> cmd_stat(const Command& c);
  asio::awaitable<void> cmd_list(const Command& c);
  asio::awaitable<void> cmd_uidl(const Command& c);
  asio::awaitable<void> cmd_retr(const Command& c);
  asio::awaitable<void> cmd_top(const Command& c);
  asio::awaitable<void> cmd_dele(const Command& c);
  asio::awaitable<void> cmd_rset(const Command& c);
  asio::awaitable<void> cmd_noop(const Command& c);
  asio::awaitable<void> cmd_quit(const Command& c);
  // The message a command names, or null after queuing the -ERR.
  const MessageInfo* message(uint32_t n);
  // "+OK", then message n through the encoder, then "."; true when all of
  // it was queued.
  asio::awaitable<bool> send_message(uint32_t n, std::optional<uint64_t> body_lines);
  uint64_t live_count() const;
  uint64_t live_octets() const;

  // command_table.cpp
  asio::awaitable<void> cmd_capa(const Command& c);

  // cmd_stls.cpp
  asio::awaitable<void> cmd_stls(const Command& c);
  asio::awaitable<bool> start_tls();

  SessionHost& host_;
  std::shared_ptr<const Services> services_;
  const Settings& set_;
  std::unique_ptr<io::Stream> stream_;
  std::string ip_;
  std::string client_name_;  // "[192.0.2.1]" in log lines
  bool implicit_tls_;
  std::shared_ptr<io::Watchdog> watchdog_;
  smtp::LineSplitter splitter_;
  std::array<char, 16384> read_buf_;
  std::string out_;
  State state_ = State::authorization;
  bool tls_active_ = false;
  bool hang_up_ = false;
  bool closed_ = false;
  bool interrupted_ = false;
  int bad_commands_ = 0;
  std::string user_name_;  // USER, waiting for PASS
  std::string user_;       // logged in as
  std::unique_ptr<Maildrop> drop_;
  std::vector<bool> deleted_;
  std::vector<bool> retrieved_;  // sent whole by RETR: \Seen at QUIT
};

}  // namespace tern::pop3
