// RemoteAgent: delivers a message to the recipients of one next hop by
// SMTP (the delivery::BatchAgent for remote targets). For each batch it
// picks the transport (transport.h), and hands the batch to the
// destination's queue (destinations.h): at most
// smtp_destination_concurrency_limit sessions per destination and
// default_process_limit in all, each session carrying the destination's
// batches one after another over one connection, which then stays cached
// for smtp_connection_cache_time_limit (Postfix's connection cache). A
// batch's delivery (smtp_delivery.h) looks the route up, connects to the
// route's addresses in order, and runs SMTP client sessions until every
// recipient has an answer or smtp_mx_session_limit sessions were tried.
//
// A destination whose every host failed at the host level (no connection,
// or a 4xx greeting, or a session lost before the transaction) is
// suspended for minimal_backoff_time: its batches, those waiting and those
// to come, are deferred at once with "delivery temporarily suspended: <the
// reason>", as Postfix's queue manager throttles a dead destination, so a
// host that is down is not hammered by every message queued for it. A
// flush (postqueue -f, -s, postsuper -r) lifts every suspension.
//
// Threads: start_batch() returns at once; the work runs as coroutines on
// the agent's own event loop thread (`tern-smtp` in top -H), which also
// serves the resolver and calls each batch's `done`. The thread and the
// resolver start at the first delivery, never in create(), so that
// building the services (also in the root-owned local delivery process,
// and before its fork) starts no thread. One agent per configuration
// snapshot; a reload makes a new one and the old one ends when the last
// message holding it does.
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
#include "io/clock.h"
#include "remote/transport.h"

namespace tern::remote {

class Destinations;
struct SmtpSetup;

class RemoteAgent final : public delivery::BatchAgent {
 public:
  // Errors name the parameter, main.cf:LINE and the fix.
  static Result<std::shared_ptr<RemoteAgent>> create(std::shared_ptr<const config::Config> cfg);
  ~RemoteAgent() override;

  std::string batch_key(const rewrite::Target& t) const override;
  size_t batch_limit() const override { return limit_; }
  void forget_failures() const override;
  void start_batch(const queue::Envelope& env, std::string_view content, std::vector<delivery::BatchItem> items,
                   Done done) const override;

 private:
  explicit RemoteAgent(TransportResolver transports);
  Status start() const;

  std::shared_ptr<const config::Config> cfg_;
  TransportResolver transports_;
  std::shared_ptr<const SmtpSetup> smtp_;  // how one batch is delivered
  mutable std::mutex start_mu_;
  mutable std::unique_ptr<asio::io_context> io_;  // null until start()
  mutable std::unique_ptr<Destinations> destinations_;  // lives on io_'s thread
  mutable std::thread thread_;
  size_t limit_ = 50;
};

}  // namespace tern::remote
