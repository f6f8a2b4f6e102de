// Session: one SMTP connection, one coroutine. It reads lines, parses them
// with smtp/proto, dispatches through the command table (command_table.cpp:
// verb, handler, flags), and sends every reply through one writer
// (session_reply.cpp), which counts errors, applies the error sleep and the
// hard limit, batches replies for PIPELINING, and is the one place that
// decides to hang up (221, 421, 554 synchronization). Connection state (HELO
// name, error count) is apart from transaction state (sender, recipients,
// draft), so RSET drops a transaction, never the connection.
//
// The session reads and writes an io::Stream, never a socket: TCP, TLS in
// place of it after STARTTLS (cmd_starttls.cpp) or from the first byte on
// port 465, memory in tests and the fuzz target.
//
// SECURITY: everything read here is untrusted. Limits: command line length
// (smtpd_command_line_limit), message size, recipients, errors, junk
// commands, idle time. Handlers live in cmd_*.cpp, one file per group of
// commands.
#pragma once

#include <array>
#include <optional>
#include <asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "io/stream.h"
#include "io/tcp_stream.h"
#include "io/watchdog.h"
#include "mail/header_limit.h"
#include "policy/policy.h"
#include "queue/writer.h"
#include "smtp/proto/bdat_decoder.h"
#include "smtp/proto/command.h"
#include "smtp/proto/line_splitter.h"
#include "smtp/proto/reply.h"
#include "smtp/server/host.h"
#include "smtp/server/services.h"

namespace tern::smtp {

// One mail transaction: MAIL up to the end of DATA/BDAT, or RSET.
struct Transaction {
  bool active = false;
  std::string sender;  // "" for <>
  bool smtputf8 = false;
  bool eightbit = false;
  uint64_t declared_size = 0;
  std::vector<std::string> recipients;
  // RFC 3461, kept in the queue file: per recipient (same index) the
  // NOTIFY bits and ORCPT, per message RET and ENVID.
  std::vector<std::pair<unsigned, std::string>> recipient_dsn;
  std::string ret, envid;
  policy::SenderOwnersMemo sender_owners;  // reject_sender_login_mismatch: looked up once per transaction
  bool discard = false;
  // Content (DATA, or BDAT across chunks)
  std::unique_ptr<queue::Draft> draft;
  std::unique_ptr<BdatDecoder> bdat;
  std::string header_scan;  // first bytes of content, for the hop count
  bool write_failed = false;  // the draft could not be written: 451 at the end
  mail::HeaderLimiter headers;  // header_size_limit, header_line_limit (set by start_draft)
  // MAIL's AUTH= (RFC 4954 section 5): the address the authenticated client
  // vouches for, "<>" when the client is not authenticated or sent none.
  std::string auth_param = "<>";
};

// RFC 4954 section 4: a SASL response line (after a 334) may be this long,
// longer than a command line.
inline constexpr size_t kSaslLineBytes = 12288;

// Why the session ends; the one place that words the last reply.
enum class HangUp { quit, timeout, shutdown, too_many_errors, line_flood, sync, refused, auth_failures };

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(SessionHost& host, std::unique_ptr<io::Stream> stream, io::Peer peer, ListenerKind kind);
  ~Session();
  asio::awaitable<void> run();
  // SIGTERM: interrupt the current read; the session says 421 and closes.
  void interrupt();

  // The command table (command_table.cpp).
  using Handler = asio::awaitable<void> (Session::*)(const Command&);
  enum Flag : unsigned {
    kPreTls = 1,  // allowed before STARTTLS where TLS is required (issue 8)
    kLast = 2,    // ends a pipelining group (RFC 2920 3.1): replies are flushed
    kJunk = 4,    // past smtpd_junk_command_limit of these, each counts as an error
  };
  struct CommandSpec {
    Verb verb;
    Handler handler;
    unsigned flags;
  };
  static const CommandSpec& spec(Verb v);

 private:
  // The reply writer (session_reply.cpp)
  void reply(const Reply& r);
  void reply(int code, std::string enhanced, std::string text) { reply(Reply(code, std::move(enhanced), std::move(text))); }
  // Queues the last reply, words it for `why`; the next flush() sends it
  // and closes the stream. `detail` goes into refusals ("too many connections").
  void hang_up(HangUp why, const std::string& detail = {});
  asio::awaitable<void> flush();
  // Reading: more bytes into the splitter; false on EOF, error, timeout or
  // shutdown, after queuing the matching 421 (`during`: for the log).
  asio::awaitable<bool> fill(const char* during);
  asio::awaitable<void> dispatch(Command& cmd);

  // handlers (cmd_*.cpp)
  asio::awaitable<void> cmd_helo(const Command& c);
  asio::awaitable<void> cmd_mail(const Command& c);
  asio::awaitable<void> cmd_rcpt(const Command& c);
  asio::awaitable<void> cmd_rset(const Command& c);
  asio::awaitable<void> cmd_noop(const Command& c);
  asio::awaitable<void> cmd_vrfy(const Command& c);
  asio::awaitable<void> cmd_help(const Command& c);
  asio::awaitable<void> cmd_not_implemented(const Command& c);
  asio::awaitable<void> cmd_data(const Command& c);
  asio::awaitable<void> cmd_bdat(const Command& c);
  asio::awaitable<void> cmd_quit(const Command& c);
  asio::awaitable<void> cmd_auth(const Command& c);
  asio::awaitable<void> cmd_starttls(const Command& c);

  // SMTP AUTH (cmd_auth.cpp)
  bool auth_offered() const;  // AUTH in the EHLO reply
  // Reads one SASL response line (up to 12288 bytes, RFC 4954 section 4);
  // nullopt: no line (connection gone, or too long: the reply is queued).
  asio::awaitable<std::optional<std::string>> read_auth_line();
  asio::awaitable<void> auth_failed(std::string_view mechanism, const std::string& why);
  // Forgets the authentication (STARTTLS: RFC 3207 section 4.2).
  void forget_auth();

  // TLS (cmd_starttls.cpp). start_tls() puts a TLS stream in place of the
  // plain one and runs the handshake under the session's deadline; false:
  // it failed, was logged, and the connection is closed.
  asio::awaitable<bool> start_tls();
  // RFC 3207 4.2: after the handshake the session forgets everything the
  // client said before it: HELO name, transaction, and SMTP AUTH state
  // (whoever adds connection state that the client sets adds its reset
  // here). EHLO is then needed again before MAIL.
  void reset_after_tls();
  // MAIL must wait for HELO/EHLO: smtpd_helo_required, or after STARTTLS.
  bool helo_missing() const { return helo_.empty() && (lim_.helo_required || tls_active_); }

  // shared by DATA and BDAT (cmd_data.cpp)
  Status start_draft();
  // Decoded content on its way into the draft: the one place it passes.
  void store_content(std::string& decoded, bool too_big);
  // Content deadline: start_content() arms it; read_content() reads more and
  // moves it once per 64 KiB consumed (content_since_arm_); false: the
  // connection is gone (transaction reset, 421 queued where one is due).
  void start_content();
  asio::awaitable<bool> read_content(const char* during);
  std::string received_header(const std::string& id) const;
  // "SMTP", "ESMTP", "UTF8SMTP", with an S over TLS (RFC 3848)
  std::string protocol_name() const;
  asio::awaitable<void> finish_message(uint64_t size, bool too_big, bool bare_newline, bool nul);
  asio::awaitable<Status> commit(std::unique_ptr<queue::Draft> draft);
  void reset_transaction();

  SessionHost& host_;
  std::shared_ptr<const Services> services_;
  std::unique_ptr<io::Stream> stream_;
  ListenerKind kind_;
  SessionLimits lim_;
  std::shared_ptr<io::Watchdog> watchdog_;
  LineSplitter splitter_;
  std::array<char, 16384> read_buf_;
  std::string out_;
  policy::ClientInfo client_;
  std::string client_name_;  // "unknown[127.0.0.1]"
  std::string helo_;
  bool esmtp_ = false;
  bool tls_active_ = false;
  io::TlsSummary tls_;  // what the handshake agreed on, when tls_active_
  bool rejected_at_connect_ = false;
  bool hang_up_ = false;  // the last reply is queued; close after the flush
  bool closed_ = false;
  bool interrupted_ = false;
  int errors_ = 0;
  int junk_ = 0;
  uint64_t content_since_arm_ = 0;
  Transaction tx_;
};

}  // namespace tern::smtp
