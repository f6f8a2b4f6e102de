// Session: one SMTP connection, one coroutine. It reads lines, parses them
// with smtp/proto, dispatches through a table of handlers, and sends every
// reply through one writer (which counts errors, applies the error sleep and
// the hard limit, and batches replies for PIPELINING). Connection state
// (HELO name, error count) is apart from transaction state (sender,
// recipients, draft), so RSET drops a transaction, never the connection.
//
// SECURITY: everything read here is untrusted. Limits: command line length
// (smtpd_command_line_limit), message size, recipients, errors, idle time.
// Handlers live in cmd_*.cpp, one file per group of commands.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "io/watchdog.h"
#include "mail/header_limit.h"
#include "policy/policy.h"
#include "queue/writer.h"
#include "smtp/proto/bdat_decoder.h"
#include "smtp/proto/command.h"
#include "smtp/proto/line_splitter.h"
#include "smtp/proto/reply.h"
#include "smtp/server/server.h"
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
  bool discard = false;
  // BDAT state
  std::unique_ptr<queue::Draft> draft;
  std::unique_ptr<BdatDecoder> bdat;
  std::string header_scan;  // first bytes of content, for the hop count
  mail::HeaderLimiter headers;  // header_size_limit, header_line_limit (set by start_draft)
  bool bdat_failed = false;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(SmtpServer& server, asio::ip::tcp::socket sock, ListenerKind kind);
  ~Session();
  asio::awaitable<void> run();
  // SIGTERM: interrupt the current read; the session says 421 and closes.
  void interrupt();

 private:
  friend struct Handlers;
  // I/O
  asio::awaitable<bool> fill();  // reads more bytes into the splitter; false on EOF/error/timeout
  asio::awaitable<void> flush();
  void reply(const Reply& r);
  void reply(int code, std::string enhanced, std::string text) { reply(Reply(code, std::move(enhanced), std::move(text))); }
  asio::awaitable<void> close_with(const Reply& r);
  asio::awaitable<void> dispatch(Command& cmd);

  // handlers (cmd_*.cpp)
  void cmd_helo(const Command& c, bool esmtp);
  void cmd_mail(const Command& c);
  void cmd_rcpt(const Command& c);
  void cmd_rset();
  void cmd_vrfy(const Command& c);
  asio::awaitable<void> cmd_data();
  asio::awaitable<void> cmd_bdat(const Command& c);
  asio::awaitable<void> cmd_quit();

  // shared by DATA and BDAT (cmd_data.cpp)
  Result<std::unique_ptr<queue::Draft>> start_draft();
  std::string received_header(const std::string& id) const;
  asio::awaitable<void> finish_message(std::unique_ptr<queue::Draft> draft, uint64_t size, bool too_big,
                                       bool bare_newline, bool nul, const std::string& header_scan);
  asio::awaitable<Status> commit(std::unique_ptr<queue::Draft> draft);
  void reset_transaction();

  SmtpServer& server_;
  std::shared_ptr<const Services> services_;
  asio::ip::tcp::socket sock_;
  ListenerKind kind_;
  SessionLimits lim_;
  std::shared_ptr<io::Watchdog> watchdog_;
  LineSplitter splitter_;
  std::string out_;
  policy::ClientInfo client_;
  std::string client_name_;  // "unknown[127.0.0.1]"
  std::string helo_;
  bool esmtp_ = false;
  bool rejected_at_connect_ = false;
  bool closing_ = false;
  bool interrupted_ = false;
  int errors_ = 0;
  Transaction tx_;
};

}  // namespace tern::smtp
