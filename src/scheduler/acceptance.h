// AcceptanceDelivery: delivery at acceptance, the Committer's hook
// (queue::ImmediateDelivery). Given a finished in-memory draft, it delivers
// the recipients whose every target is a virtual account's Maildir (fast,
// no other identity needed) and hands back what it delivered: the
// recipients to cross off and the targets done. It never changes the draft;
// the Committer applies the result to the draft it owns. Anything else is
// left for the queue, so a slow command never holds an SMTP session. A
// target shared with a recipient left for the queue is delivered once and
// recorded, so the queue run does not deliver it again (recipient.h).
//
// The recipients that failed permanently are reported in one DSN
// (bouncer.h), committed (on this committer thread) before deliver_now
// returns, so before the Committer crosses them off.
//
// Each delivery takes a slot of delivery_concurrency_limit if one is free;
// when none is, the message simply goes through the queue.
#pragma once

#include <memory>
#include <mutex>

#include "queue/writer.h"
#include "scheduler/recipient.h"
#include "scheduler/slots.h"

namespace tern::scheduler {

class AcceptanceDelivery : public queue::ImmediateDelivery {
 public:
  AcceptanceDelivery(DeliverySlots& slots, const queue::Spool& spool) : slots_(slots), spool_(spool) {}
  void set_services(std::shared_ptr<const DeliveryServices> s);
  // Where notifications are committed (the Committer this hook serves).
  void set_committer(queue::Committer* c) { committer_ = c; }
  queue::CrossOffs deliver_now(const queue::Draft& draft) override;

 private:
  DeliverySlots& slots_;
  const queue::Spool& spool_;
  queue::Committer* committer_ = nullptr;
  mutable std::mutex mu_;
  std::shared_ptr<const DeliveryServices> services_;
};

}  // namespace tern::scheduler
