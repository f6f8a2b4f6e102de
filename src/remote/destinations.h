// Destinations: the remote agent's per-destination queues, concurrency
// limits and connection cache (Postfix's queue manager "destination
// concurrency" and smtp(8)'s connection cache together).
//
// A destination is a batch key (transport and next hop). A batch for it
// starts at once when it has fewer than smtp_destination_concurrency_limit
// sessions and the agent fewer than default_process_limit in all;
// otherwise it waits in the destination's queue, in arrival order. Each
// running session is a coroutine that, after its batch, takes the next
// waiting batch of the same destination over the same connection; with
// nothing left it parks the connection in the cache for
// smtp_connection_cache_time_limit, where the next batch for the
// destination finds it, and then says QUIT. A slow or dead destination
// thus holds only its own sessions: other destinations' batches never
// wait behind it, and the queue runners never wait at all.
//
// Suspension: a batch whose every host failed as a host suspends its
// destination for minimal_backoff_time (remote_agent.h); the batches
// waiting for it are answered at once, and later ones are answered by
// the agent before they are queued.
//
// Threads: submit(), suspended() and forget_failures() may be called from
// any thread; everything else runs on the agent's io_context thread.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dns/resolver.h"
#include "io/clock.h"
#include "remote/smtp_delivery.h"

namespace tern::remote {

struct Suspension {
  std::chrono::steady_clock::time_point until;
  Error reason;
  std::string relay;
};

class Destinations {
 public:
  Destinations(asio::io_context& io, std::shared_ptr<const SmtpSetup> setup, std::shared_ptr<dns::Resolver> resolver);
  ~Destinations();
  Destinations(const Destinations&) = delete;
  Destinations& operator=(const Destinations&) = delete;

  // Queues b for its destination (b->key); b->done is called on the io thread.
  void submit(std::unique_ptr<Batch> b);
  // The destination's suspension, if one is in force.
  std::optional<Suspension> suspended(const std::string& key);
  void forget_failures();

 private:
  struct Parked {
    uint64_t id;
    SessionPtr session;
  };
  struct Dest {
    int active = 0;                                // sessions running for it
    std::deque<std::unique_ptr<Batch>> waiting;    // batches without a session yet
    std::vector<Parked> idle;                      // cached connections
    bool starved = false;                          // in starved_, waiting for a global slot
  };
  void enqueue(std::unique_ptr<Batch> b);
  void start_runner(const std::string& key, Dest& d);
  asio::awaitable<void> run(std::string key, std::unique_ptr<Batch> b);
  asio::awaitable<void> reap(std::string key, uint64_t id);
  SessionPtr take_idle(Dest& d);
  void park(const std::string& key, Dest& d, SessionPtr s);
  // Answers every batch waiting for a suspended destination.
  void answer_waiting(Dest& d, const Suspension& s);
  void forget_if_unused(const std::string& key);

  asio::io_context& io_;
  std::shared_ptr<const SmtpSetup> setup_;
  std::shared_ptr<dns::Resolver> resolver_;
  io::SteadyClock clock_;
  std::map<std::string, Dest> dests_;
  std::deque<std::string> starved_;  // destinations waiting for a slot of default_process_limit
  int active_total_ = 0;
  uint64_t next_id_ = 0;
  std::mutex suspended_mu_;
  std::map<std::string, Suspension> suspended_;  // by destination key
};

// Answers b: its outcomes to its `done`.
void answer(std::unique_ptr<Batch> b);
// b's outcomes all set to e (relay as given).
void answer_all(std::unique_ptr<Batch> b, const Error& e, const std::string& relay);

}  // namespace tern::remote
