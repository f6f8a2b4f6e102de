// Resolver: asynchronous DNS queries over libunbound, answered on the
// caller's Asio executor, each with a time limit.
//
// How it runs: libunbound is put in threaded mode (ub_ctx_async(ctx, 1)):
// its own thread does the network I/O, retries and caching, and returns
// results through a pipe whose read end (ub_fd) Asio watches on a strand of
// the executor; ub_process() then runs the callbacks there. So no query ever
// blocks the event loop, and no process is forked (libunbound's default
// async mode forks, which a daemon holding port 25 and the queue lock must
// not do). Each query has a steady_timer; at the limit the query is
// cancelled (ub_cancel) and answered "try again".
//
// Contract: query() may be called from any thread; the handler always runs
// later on the strand, never inline. The Resolver stays alive while a query
// is pending (its timer holds a reference). No DNSSEC trust anchor is
// configured yet: Answer::secure is false until DANE adds one.
//
// SECURITY: answers are untrusted; libunbound parses the messages (with its
// own limits on size and CNAME chains) and the decoders in records.h check
// each rdata's length. Names sent are checked by hostname_problem() or built
// by reverse_name() first.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/strand.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "base/result.h"
#include "dns/answer.h"

struct ub_ctx;
struct ub_result;

namespace tern::dns {

class Resolver : public std::enable_shared_from_this<Resolver> {
 public:
  struct Options {
    // "" : the nameservers of resolv_conf; else an unbound forwarder
    // address, "127.0.0.1@5353" (settings.h makes it from dns_resolver).
    std::string forwarder;
    std::string resolv_conf = "/etc/resolv.conf";
    std::chrono::milliseconds timeout{10000};  // dns_query_timeout
  };
  using Handler = std::function<void(Answer)>;
  using Strand = asio::strand<asio::any_io_executor>;

  static Result<std::shared_ptr<Resolver>> create(asio::any_io_executor ex, const Options& options);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  void query(std::string name, RrType type, Handler done);

  const Strand& strand() const { return strand_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  // For shuffling equal MX preferences; use on the strand only.
  std::mt19937& rng() { return rng_; }

 private:
  struct Pending;
  Resolver(asio::any_io_executor ex, ub_ctx* ctx, std::chrono::milliseconds timeout);
  void start(std::string name, RrType type, Handler done);
  void watch();
  void finish(uint64_t seq, Answer answer);
  void on_timeout(uint64_t seq);
  static void on_result(void* data, int err, ub_result* result);

  Strand strand_;
  ub_ctx* ctx_;
  asio::posix::stream_descriptor fd_;  // ub_fd(ctx_); released, not closed, at the end
  std::chrono::milliseconds timeout_;
  std::map<uint64_t, std::unique_ptr<Pending>> pending_;
  uint64_t next_seq_ = 0;
  bool watching_ = false;
  std::mt19937 rng_;
};

}  // namespace tern::dns
