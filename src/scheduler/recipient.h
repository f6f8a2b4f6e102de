// One message's delivery pass over its pending recipients, shared by the
// queue runs (scheduler.h) and the delivery at acceptance (acceptance.h):
// deliver each final target the recipients expand to once, except those
// already recorded as delivered, log each outcome, and report progress so
// that a retry repeats nothing.
//
// One copy per final target (delivery::final_target_key), as Postfix's
// local(8) and virtual(8) duplicate filter: `alice` and `alice+tag`, or
// `alice` and an alias `team: alice, bob`, give alice one copy. The target
// is delivered for the first recipient (in envelope order) leading to it;
// the others are crossed off when all their targets are done, and a
// deferral of the shared target defers them all. The filter remembers at
// most duplicate_filter_limit targets per message (0: no limit); past that,
// duplicates are delivered again, as in Postfix.
//
// A target is recorded (ProgressLog::target_done) as soon as it is
// delivered or has failed permanently, unless the recipient delivered for
// is the only one leading to it and is about to be crossed off as a whole
// (it was its last target left and none was deferred). So with
// `a: bob, |cmd` and cmd exiting 75, bob gets one copy however often cmd is
// retried, and a crash between a target's delivery and its record repeats
// only that target. The record counts for every recipient of the message.
//
// Remote targets are delivered first, in batches: all of the message's
// remote targets with one next hop (BatchAgent::batch_key) in one call, so
// one SMTP transaction carries them; the per-recipient walk then sees them
// done or deferred like any other target.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "delivery/batch_agent.h"
#include "delivery/local_agent.h"
#include "queue/envelope.h"
#include "rewrite/rewriter.h"
#include "scheduler/forward.h"
#include "scheduler/retry_rules.h"

namespace tern::scheduler {

// What a delivery attempt uses; replaced as a whole on SIGHUP.
struct DeliveryServices {
  std::shared_ptr<const config::Config> cfg;
  std::shared_ptr<rewrite::Rewriter> rewriter;
  std::shared_ptr<delivery::Agent> agent;
  // Remote targets, delivered in batches per next hop (remote/); null:
  // they are deferred.
  std::shared_ptr<const delivery::BatchAgent> remote = nullptr;
  // Resubmits what a .forward sends on; null: such deliveries are deferred.
  std::shared_ptr<const Forwarder> forwarder = nullptr;
  // retry_rules, parsed (retry_plan.h); null or empty: the Postfix back-off.
  std::shared_ptr<const retry::Rules> retry_rules = nullptr;
};

// Where a pass records its progress: the queue file for queue runs, the
// CrossOffs handed back to the Committer at acceptance.
class ProgressLog {
 public:
  virtual ~ProgressLog() = default;
  virtual void target_done(const queue::Recipient& r, const std::string& key) = 0;
  virtual void recipient_done(const queue::Recipient& r) = 0;
};

// What a pass did to one target of a recipient, for the DSNs
// (scheduler/bouncer.h): every permanent failure and every success. A
// remote agent reports `relayed` when the next server does not speak DSN,
// and the host that answered.
struct TargetReport {
  enum class Action { failed, delivered, relayed };
  Action action = Action::failed;
  std::string address;     // the final recipient: the target's address
  std::string status;      // RFC 3463 ("5.1.1", "2.0.0")
  std::string diagnostic;  // the failure text or remote reply; empty on success
  std::string remote_mta;  // the host that answered; empty for local delivery
};

struct RecipientOutcome {
  bool done = false;        // delivered or failed permanently, and crossed off
  std::string reason;       // why it stays queued (the last temporary failure)
  std::string reason_dsn;   // its RFC 3463 status
  std::vector<TargetReport> reports;  // this pass's failures and successes
  bool failed() const {
    for (auto& r : reports)
      if (r.action == TargetReport::Action::failed) return true;
    return false;
  }
};

// One pending recipient as a pass sees it.
struct PassRecipient {
  queue::Recipient* recipient;
  Result<std::vector<rewrite::Target>> targets;  // its expansion
  // False: this pass leaves it alone (acceptance leaves it to the queue),
  // but its targets still count, so a target it shares is recorded.
  bool deliver = true;
  RecipientOutcome outcome;
};

// One pass in steps, for a caller that does not wait for the remote
// batches on its own thread (the scheduler hands them to the BatchAgent
// and comes back when the last one is answered): construct (expansion
// into final targets, the batches), hand out batches(), give each one's
// outcomes to batch_done() (any order, one thread at a time), then
// finish() delivers the local targets and records the progress. env,
// content and recipients must outlive it.
class PassRun {
 public:
  PassRun(const DeliveryServices& svc, const queue::Envelope& env, std::string_view content,
          std::vector<PassRecipient>& recipients);
  ~PassRun();
  PassRun(const PassRun&) = delete;
  PassRun& operator=(const PassRun&) = delete;
  // The remote batches, each for one next hop (none without svc.remote).
  const std::vector<std::vector<delivery::BatchItem>>& batches() const;
  void batch_done(size_t batch, std::vector<delivery::BatchOutcome> outcomes);
  void finish(ProgressLog& log);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Delivers the recipients of env marked `deliver`, in order, one copy per
// final target, and records progress in `log`; each recipient crossed off
// gets recipient->done set. The remote batches are waited for here.
void deliver_recipients(const DeliveryServices& svc, const queue::Envelope& env, std::string_view content,
                        std::vector<PassRecipient>& recipients, ProgressLog& log);

// The pass for a single recipient r whose expansion is `targets`.
RecipientOutcome deliver_recipient(const DeliveryServices& svc, const queue::Envelope& env, std::string_view content,
                                   queue::Recipient& r, const Result<std::vector<rewrite::Target>>& targets,
                                   ProgressLog& log);

}  // namespace tern::scheduler
