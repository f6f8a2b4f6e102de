// SmtpServer: accepts connections on the configured listeners and runs one
// Session coroutine per connection. It owns the connection limits (per
// client IP and in total) and the list of live sessions, so SIGTERM can tell
// every session to say 421 and close.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "dns/resolver.h"
#include "queue/spool.h"
#include "queue/writer.h"
#include "smtp/server/host.h"
#include "smtp/server/services.h"

namespace tern::smtp {

class SmtpServer final : public SessionHost {
 public:
  SmtpServer(asio::io_context& ctx, const queue::Spool& spool, queue::Committer& committer);
  ~SmtpServer() override;

  // Replaces the snapshot new sessions start with (start-up and SIGHUP).
  void set_services(std::shared_ptr<const Services> s);
  std::shared_ptr<const Services> services() const override;

  void listen(asio::ip::tcp::acceptor acceptor, ListenerKind kind);
  // Stops accepting and asks every session to finish with 421 4.3.2.
  void shutdown();
  size_t session_count() const { return sessions_.size(); }

  // SessionHost, used by Session (same io thread; no locking needed).
  bool admit(const std::string& ip, std::string& why) override;
  void release(const std::string& ip) override;
  void add(Session* s) override { sessions_.insert(s); }
  void remove(Session* s) override { sessions_.erase(s); }
  bool shutting_down() const override { return shutting_down_; }
  io::Clock& clock() override { return clock_; }
  const queue::Spool& spool() const override { return spool_; }
  void commit(std::unique_ptr<queue::Draft> draft, std::function<void(Status)> done) override {
    committer_.commit(std::move(draft), std::move(done));
  }
  AuthFailures& auth_failures() override { return auth_failures_; }
  asio::awaitable<std::string> peer_name(const std::string& ip) override;
  // The resolver client names are looked up with (null: none, "unknown"
  // for everyone). Replaced on reload; lookups in progress keep theirs.
  void set_resolver(std::shared_ptr<dns::Resolver> r);

 private:
  asio::io_context& ctx_;
  const queue::Spool& spool_;
  queue::Committer& committer_;
  mutable std::mutex services_mu_;
  std::shared_ptr<const Services> services_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::map<std::string, int> per_ip_;
  int total_ = 0;
  std::set<Session*> sessions_;
  bool shutting_down_ = false;
  AuthFailures auth_failures_;
  io::SteadyClock clock_;
  std::shared_ptr<dns::Resolver> resolver_;
};

}  // namespace tern::smtp
