// ImapServer: accepts IMAP connections (imap_listen, and imaps_listen with
// TLS from the first byte) on the daemon's event loop and runs one Session
// coroutine per connection, on a loop of its pool (imap_threads,
// io/loop_pool.h), or on the daemon's loop when it has none. It is the sessions' SessionHost: the
// settings snapshot (replaced on reload), the failed-login table it shares
// with SMTP AUTH and POP3, the POP-before-SMTP table, and the list of live sessions
// that SIGTERM interrupts, and the budget of waiting sessions that may keep
// their folder's handles open.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "imap/server/host.h"
#include "io/loop_pool.h"

namespace tern::imap {

class ImapServer final : public SessionHost {
 public:
  // failures and logins (may be null) are shared with the SMTP server and
  // must outlive this object. threads: the sessions' own event loops; 0
  // runs them on ctx.
  ImapServer(asio::io_context& ctx, sasl::AuthFailures& failures, policy::RecentLogins* logins, size_t threads = 0);
  ~ImapServer() override;

  void set_services(std::shared_ptr<const Services> s);
  std::shared_ptr<const Services> services() const override;
  // implicit_tls: port 993.
  void listen(asio::ip::tcp::acceptor acceptor, bool implicit_tls);
  // Stops accepting and interrupts every session (* BYE, close).
  void shutdown();
  size_t session_count() const;
  // The sessions this process takes before it stops accepting (see the
  // constructor).
  size_t session_limit() const { return session_limit_; }

  void add(Session* s) override;
  void remove(Session* s) override;
  bool shutting_down() const override { return shutting_down_.load(std::memory_order_relaxed); }
  io::Clock& clock() override { return clock_; }
  sasl::AuthFailures& auth_failures() override { return failures_; }
  policy::RecentLogins* recent_logins() override { return logins_; }
  bool take_handle_slot() override;
  MessageCache* message_cache() override { return &message_cache_; }
  UserIpCounts* user_ip_counts() override { return &user_ip_counts_; }
  void return_handle_slot() override { handle_slots_used_.fetch_sub(1, std::memory_order_relaxed); }

 private:
  asio::io_context& ctx_;
  sasl::AuthFailures& failures_;
  policy::RecentLogins* logins_;
  mutable std::mutex services_mu_;
  std::shared_ptr<const Services> services_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  mutable std::mutex sessions_mu_;  // sessions come and go on the pool's threads
  std::set<Session*> sessions_;
  std::atomic<bool> shutting_down_{false};
  // Sessions keeping folder handles while they wait: at most a sixteenth of
  // the descriptors above 1024 (4 each), from RLIMIT_NOFILE at construction.
  int64_t handle_slot_budget_ = 0;
  size_t session_limit_ = SIZE_MAX;
  std::chrono::steady_clock::time_point next_full_log_{};  // accept loops run on ctx_ only
  MessageCache message_cache_;  // sized by set_services
  UserIpCounts user_ip_counts_;
  // Last: the sessions still on its loops at shutdown end with it, while the
  // table they leave is still here.
  std::unique_ptr<io::LoopPool> pool_;
  std::atomic<int64_t> handle_slots_used_{0};
  io::SteadyClock clock_;
};

}  // namespace tern::imap
