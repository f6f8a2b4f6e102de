// One recipient's delivery pass, shared by the queue runs (scheduler.h) and
// the delivery at acceptance (acceptance.h): deliver each target the
// recipient expands to, except those already recorded as delivered, log
// each outcome, and report progress so that a retry repeats nothing.
//
// A target is recorded (ProgressLog::target_done) as soon as it is
// delivered or has failed permanently, unless the recipient is about to be
// crossed off as a whole (it was the last target left and none before it
// was deferred). So with `a: bob, |cmd` and cmd exiting 75, bob gets one
// copy however often cmd is retried, and a crash between a target's
// delivery and its record repeats only that target.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "delivery/local_agent.h"
#include "queue/envelope.h"
#include "rewrite/rewriter.h"

namespace tern::scheduler {

// What a delivery attempt uses; replaced as a whole on SIGHUP.
struct DeliveryServices {
  std::shared_ptr<const config::Config> cfg;
  std::shared_ptr<rewrite::Rewriter> rewriter;
  std::shared_ptr<delivery::Agent> agent;
};

// Where a pass records its progress: the queue file for queue runs, the
// CrossOffs handed back to the Committer at acceptance.
class ProgressLog {
 public:
  virtual ~ProgressLog() = default;
  virtual void target_done(const queue::Recipient& r, const std::string& key) = 0;
  virtual void recipient_done(const queue::Recipient& r) = 0;
};

struct RecipientOutcome {
  bool done = false;   // delivered or failed permanently, and crossed off
  std::string reason;  // why it stays queued (the last temporary failure)
};

// Delivers r (whose expansion is `targets`) and records progress in `log`;
// r.done is set when it is crossed off.
RecipientOutcome deliver_recipient(const DeliveryServices& svc, const queue::Envelope& env, std::string_view content,
                                   queue::Recipient& r, const Result<std::vector<rewrite::Target>>& targets,
                                   ProgressLog& log);

}  // namespace tern::scheduler
