// BatchAgent: delivery of one message to several targets at once, for
// targets that share a next hop (remote recipients: one SMTP transaction
// carries them all). The scheduler groups a message's targets by
// batch_key() and hands each group over; the agent answers one outcome per
// target, in order. The SMTP client's implementation (remote/) sits above
// the scheduler and is handed to it through DeliveryServices, so the
// scheduler never learns about DNS or SMTP.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "delivery/local_agent.h"
#include "queue/envelope.h"
#include "rewrite/rewriter.h"

namespace tern::delivery {

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
  // Delivers env to every target (all with one batch_key); blocks the
  // calling queue-runner thread until done. Outcomes in target order.
  virtual std::vector<BatchOutcome> deliver_batch(const queue::Envelope& env, std::string_view content,
                                                  const std::vector<BatchItem>& items) const = 0;
};

}  // namespace tern::delivery
