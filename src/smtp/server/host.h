// SessionHost: what a Session needs from the server around it, as an
// interface, so that the session can also run with no listener, no queue
// directory and no Committer threads (the session fuzz target, unit tests).
// SmtpServer is the real one. Everything here is called on the session's
// own thread, except the `done` callback of commit(), which may run on any
// thread (async_commit posts it back).
#pragma once

#include <asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "io/clock.h"
#include "queue/spool.h"
#include "queue/writer.h"
#include "smtp/server/auth_failures.h"
#include "smtp/server/services.h"

namespace tern::smtp {

class Session;

// smtp: port 25 (smtpd_listen); submission: port 587 (submission_listen),
// STARTTLS + AUTH; submissions: port 465 (submissions_listen), TLS from the
// first byte (RFC 8314).
enum class ListenerKind { smtp, submission, submissions };

class SessionHost {
 public:
  virtual ~SessionHost() = default;
  // The snapshot a new session starts with (it keeps it to the end).
  virtual std::shared_ptr<const Services> services() const = 0;
  // Connection limits: admit() at start (false: `why` says which limit),
  // release() at the end of every admitted session.
  virtual bool admit(const std::string& ip, std::string& why) = 0;
  virtual void release(const std::string& ip) = 0;
  // Live sessions, so that shutdown can interrupt them.
  virtual void add(Session* s) = 0;
  virtual void remove(Session* s) = 0;
  virtual bool shutting_down() const = 0;
  // The time the session's deadlines (io::Watchdog) are kept in: the real
  // clock in SmtpServer, a FakeClock in the harness. Outlives the sessions.
  virtual io::Clock& clock() = 0;
  // Where drafts get their IDs and, past the memory limit, their tmp file.
  virtual const queue::Spool& spool() const = 0;
  // Makes a finished draft durable; `done` reports the outcome (see
  // queue::Committer::commit).
  virtual void commit(std::unique_ptr<queue::Draft> draft, std::function<void(Status)> done) = 0;
  // Failed AUTH attempts per client address, across sessions (brute-force
  // defence: growing delays, then 421).
  virtual AuthFailures& auth_failures() = 0;
  // The client's confirmed host name (smtpd_peername_lookup: reverse
  // lookup confirmed by a forward one), or "unknown". The session awaits it
  // before the greeting; it never blocks the thread and is bounded by
  // dns_query_timeout. The default asks nothing (the fuzz target, tests).
  virtual asio::awaitable<std::string> peer_name(const std::string& ip) { co_return "unknown"; }
};

}  // namespace tern::smtp
