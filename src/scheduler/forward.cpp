// Implementation of forwarding by resubmission (see forward.h).
#include "scheduler/forward.h"

#include <ctime>

#include "base/strings.h"

namespace tern::scheduler {

Result<std::string> Forwarder::forward(const queue::Envelope& env, std::string_view content,
                                       const std::string& delivered_to, const std::vector<std::string>& to) const {
  if (to.empty()) return Error::temp("nothing to forward to");
  queue::Envelope fwd;
  fwd.set_arrival_now();
  fwd.client = "local";
  fwd.helo = "";
  fwd.protocol = "local";
  fwd.smtputf8 = env.smtputf8;
  fwd.eightbit = env.eightbit;
  fwd.sender = env.sender;
  // The DSN request travels on (RFC 3461 5.2.2 for a forwarded message):
  // the envelope ID and RET; the new recipients get the default NOTIFY.
  fwd.envid = env.envid;
  fwd.ret = env.ret;
  for (auto& a : to) fwd.recipients.push_back({a, false, 0, 0, {}});
  auto d = queue::Draft::create(spool_, fwd);
  if (!d) return d.error();
  std::string header = "Delivered-To: " + str::escape_controls(delivered_to) + "\n";
  Status st = (*d)->append(header);
  if (st) st = (*d)->append(content);
  if (st) st = (*d)->finish();
  if (!st) return st.error();
  std::string id = (*d)->id();
  st = committer_.commit_sync(std::move(*d));
  if (!st) return st.error();
  return id;
}

}  // namespace tern::scheduler
