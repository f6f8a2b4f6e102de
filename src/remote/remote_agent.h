// RemoteAgent: delivers a message to the recipients of one next hop by
// SMTP (the delivery::BatchAgent for remote targets). For each batch it
// picks the transport (transport.h), looks the route up (dns/, MX or the
// relayhost's address records), connects to the route's addresses in
// order within smtp_connect_timeout, and runs one SMTP client session
// (smtp/client) per host until every recipient has an answer or
// smtp_mx_session_limit sessions were tried, as Postfix's smtp(8) does:
// a host-level failure (refused connection, 4xx greeting, lost session)
// moves the still-deferred recipients to the next host; a recipient's own
// reply is final for this attempt.
//
// A destination whose every host failed at the host level (no connection,
// or a 4xx greeting, or a session lost before the transaction) is
// suspended for minimal_backoff_time: batches for it are deferred at once
// with "delivery temporarily suspended: <the reason>", as Postfix's queue
// manager throttles a dead destination, so a host that is down is not
// hammered by every message queued for it, and queue runners are not held
// up by its timeouts. A flush (postqueue -f, -s, postsuper -r) lifts every
// suspension.
//
// Threads: the queue runner calling deliver_batch() blocks; the work runs
// as a coroutine on the agent's own event loop thread (`tern-smtp` in
// top -H), which also serves the resolver. The thread and the resolver
// start at the first delivery, never in create(), so that building the
// services (also in the root-owned local delivery process, and before its
// fork) starts no thread. One agent per configuration snapshot; a reload
// makes a new one and the old one ends when its last delivery does.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "delivery/batch_agent.h"
#include "dns/resolver.h"
#include "dns/route.h"
#include "io/clock.h"
#include "maps/table.h"
#include "remote/transport.h"
#include "smtp/client/client.h"
#include "tls/client_context.h"

namespace tern::remote {

class RemoteAgent final : public delivery::BatchAgent {
 public:
  // Errors name the parameter, main.cf:LINE and the fix.
  static Result<std::shared_ptr<RemoteAgent>> create(std::shared_ptr<const config::Config> cfg);
  ~RemoteAgent() override;

  std::string batch_key(const rewrite::Target& t) const override;
  size_t batch_limit() const override { return limit_; }
  void forget_failures() const override;
  std::vector<delivery::BatchOutcome> deliver_batch(const queue::Envelope& env, std::string_view content,
                                                    const std::vector<delivery::BatchItem>& items) const override;

 private:
  explicit RemoteAgent(TransportResolver transports);
  struct Attempt;
  Status start() const;
  asio::awaitable<void> deliver_smtp(Attempt& a) const;
  // user:password for this next hop and host (smtp_sasl_password_maps).
  Result<std::optional<smtp::client::Credentials>> credentials(const dns::NextHop& hop, const std::string& host,
                                                               uint16_t port) const;

  std::shared_ptr<const config::Config> cfg_;
  TransportResolver transports_;
  mutable std::mutex start_mu_;
  mutable std::unique_ptr<asio::io_context> io_;  // null until start()
  mutable std::thread thread_;
  mutable std::shared_ptr<dns::Resolver> resolver_;
  dns::RouteSettings route_settings_;
  std::shared_ptr<tls::ClientContext> tls_;
  smtp::client::Settings settings_;
  std::vector<std::shared_ptr<maps::Table>> passwords_;
  struct Suspension {
    std::chrono::steady_clock::time_point until;
    Error reason;
    std::string relay;
  };
  mutable std::mutex suspended_mu_;
  mutable std::map<std::string, Suspension> suspended_;  // by batch key
  std::chrono::seconds hold_{300};
  size_t limit_ = 50;
  mutable io::SteadyClock clock_;
};

}  // namespace tern::remote
