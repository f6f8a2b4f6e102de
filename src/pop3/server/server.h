// Pop3Server: accepts POP3 connections (pop3_listen, and pop3s_listen with
// TLS from the first byte) and runs one Session coroutine per connection
// on the daemon's event loop. It is the sessions' SessionHost: the
// settings snapshot (replaced on reload), the failed-login table it shares
// with SMTP AUTH, the POP-before-SMTP table, and the list of live sessions
// that SIGTERM interrupts.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "pop3/server/host.h"

namespace tern::pop3 {

class Pop3Server final : public SessionHost {
 public:
  // failures and logins (may be null) are shared with the SMTP server and
  // must outlive this object.
  Pop3Server(asio::io_context& ctx, sasl::AuthFailures& failures, policy::RecentLogins* logins);
  ~Pop3Server() override;

  void set_services(std::shared_ptr<const Services> s);
  std::shared_ptr<const Services> services() const override;
  // implicit_tls: port 995.
  void listen(asio::ip::tcp::acceptor acceptor, bool implicit_tls);
  // Stops accepting and interrupts every session (-ERR [SYS/TEMP], close;
  // nothing is deleted).
  void shutdown();
  size_t session_count() const { return sessions_.size(); }

  void add(Session* s) override { sessions_.insert(s); }
  void remove(Session* s) override { sessions_.erase(s); }
  bool shutting_down() const override { return shutting_down_; }
  io::Clock& clock() override { return clock_; }
  sasl::AuthFailures& auth_failures() override { return failures_; }
  policy::RecentLogins* recent_logins() override { return logins_; }

 private:
  asio::io_context& ctx_;
  sasl::AuthFailures& failures_;
  policy::RecentLogins* logins_;
  mutable std::mutex services_mu_;
  std::shared_ptr<const Services> services_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::set<Session*> sessions_;
  bool shutting_down_ = false;
  io::SteadyClock clock_;
};

}  // namespace tern::pop3
