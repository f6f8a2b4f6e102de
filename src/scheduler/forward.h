// Forwarding by resubmission: what a system user's .forward sends on
// (delivery::Delivered::forward_to) becomes a new queue file, from the
// original sender to the forwarded addresses, through queue::Draft and the
// Committer like any message, as Postfix's local(8) forwards through
// cleanup. The content gets "Delivered-To: <the user's address>" first, so
// a loop (alice -> bob -> alice) is refused at its second turn with 5.4.6
// (LocalAgent's Delivered-To check) instead of growing the queue.
//
// The new file is durable (fsync, rename, directory fsync) before forward()
// returns, and only then is the user's target counted as delivered: a crash
// in between forwards twice, never loses (RELIABILITY.md #2).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "queue/envelope.h"
#include "queue/spool.h"
#include "queue/writer.h"

namespace tern::scheduler {

class Forwarder {
 public:
  Forwarder(const queue::Spool& spool, queue::Committer& committer) : spool_(spool), committer_(committer) {}
  // Returns the new queue ID once it is on stable storage.
  Result<std::string> forward(const queue::Envelope& env, std::string_view content, const std::string& delivered_to,
                              const std::vector<std::string>& to) const;

 private:
  const queue::Spool& spool_;
  queue::Committer& committer_;
};

}  // namespace tern::scheduler
