// BatchAgent: delivery of one message to several targets at once, for
// targets that share a next hop (remote recipients: one SMTP transaction
// carries them all). The scheduler groups a message's targets by
// batch_key() and hands each group over without waiting (start_batch); the
// agent answers one outcome per target, in order, when it is done. The SMTP client's implementation (remote/) sits above
// the scheduler and is handed to it through DeliveryServices, so the
// scheduler never learns about DNS or SMTP.
#pragma once

#include <functional>
#include <future>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "delivery/local_agent.h"
#include "queue/envelope.h"
#include "rewrite/rewriter.h"

namespace tern::delivery {

// Where a delivery's time went, in seconds, for the log's Postfix
// delays=a/b/c/d: b waiting for a session to the destination, c setting it
// up (DNS, connect, greeting, EHLO, TLS, AUTH; 0 on a cached connection),
// d the transaction. a is the rest of the message's delay= (time before
// this pass, and in the scheduler).
struct Delays {
  double queued = 0, setup = 0, transfer = 0;
};

// One target's outcome in a batch.
struct BatchOutcome {
  Result<Delivered> result = Error::temp("not attempted");
  // Postfix's relay= field: "mx.example.com[192.0.2.1]:25", or "none"
  // when no host was reached.
  std::string relay = "none";
  // A success the next host will not confirm (it lacks the DSN
  // extension and NOTIFY asked for SUCCESS): the DSN action "relayed".
  bool relayed = false;
  // The remote server's own reply ("550 5.1.1 <a@b>: no such user"), for
  // a DSN's Diagnostic-Code; empty when no server answered.
  std::string reply;
  Delays delays;
};

// One target of a batch and the queued recipient it was expanded from
// (whose DSN request, NOTIFY and ORCPT, it carries on).
struct BatchItem {
  const rewrite::Target* target = nullptr;
  const queue::Recipient* recipient = nullptr;
};

class BatchAgent {
 public:
  virtual ~BatchAgent() = default;
  // Targets with equal keys can travel in one batch (same transport and
  // next hop); "" means this agent does not take the target.
  virtual std::string batch_key(const rewrite::Target& t) const = 0;
  // At most this many targets per call (smtp_destination_recipient_limit).
  virtual size_t batch_limit() const = 0;
  // Forgets what it learnt about failing destinations (a flush: the
  // admin says "try now").
  virtual void forget_failures() const {}
  // Called once per batch with one outcome per item, in item order.
  using Done = std::function<void(std::vector<BatchOutcome>)>;
  // Starts delivering env to every item (all with one batch_key) and
  // returns at once: `done` is called later on the agent's own thread, or
  // before start_batch returns when the answer needs no network (an error:
  // or discard: transport, a suspended destination). env, content and
  // what the items point to must stay valid until then; `done` must not
  // hold the last reference to the agent (it may be destroyed on the
  // agent's thread).
  virtual void start_batch(const queue::Envelope& env, std::string_view content, std::vector<BatchItem> items,
                           Done done) const = 0;
  // start_batch() and a wait for its answer, on the calling thread.
  std::vector<BatchOutcome> deliver_batch(const queue::Envelope& env, std::string_view content,
                                          const std::vector<BatchItem>& items) const {
    std::promise<std::vector<BatchOutcome>> answer;
    auto got = answer.get_future();
    start_batch(env, content, items, [&answer](std::vector<BatchOutcome> o) { answer.set_value(std::move(o)); });
    return got.get();
  }
};

}  // namespace tern::delivery
