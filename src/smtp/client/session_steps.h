// Steps: the state one run_session() shares between its connection steps
// (session.cpp) and its mail transaction (mail_transaction.cpp), and the
// ways a recipient gets decided. Internal to the module.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "smtp/client/client.h"
#include "smtp/client/conversation.h"
#include "smtp/proto/ehlo_parser.h"
#include "smtp/proto/reply.h"

namespace tern::smtp::client {

struct Steps {
  Conversation& conv;
  const Settings& settings;
  const Envelope& env;
  std::string_view content;
  const std::string& server_name;
  const std::string& relay;
  SessionResult& out;
  EhloCapabilities caps;
  std::vector<bool> decided;   // per recipient
  bool mail_answered = false;  // the server replied to MAIL FROM (the host took the mail's part)
  bool hung_up = false;        // the server said 421, or we closed: no QUIT
  bool data_done = false;      // the server answered the end of data: back in its initial state
  std::string host_failure{}, host_dsn{};  // fail_host()'s words, for open_session()

  // Decides recipient i, once (a second decision is ignored). The dsn's
  // class is made to agree with the outcome ("5.1.1" deferred -> "4.1.1").
  void decide(size_t i, Outcome o, std::string dsn, std::string diagnostic);
  void decide_all(Outcome o, const std::string& dsn, const std::string& diagnostic);
  // The host failed us before the mail's transaction: everything deferred,
  // the next host may be tried.
  void fail_host(const std::string& diagnostic, const std::string& dsn);
  // As fail_host, with the server's reply to `command` (a 421 hangs up).
  void host_refused(const Reply& r, std::string_view command);
};

// "4.1.1" from r (or "4.0.0" when it has none), its class made o's.
std::string dsn_for(const Reply& r, Outcome o);

// MAIL, RCPT, DATA or BDAT, the content, per-recipient results.
asio::awaitable<void> run_transaction(Steps& s);

}  // namespace tern::smtp::client
