// Implementation of one recipient's delivery pass (see recipient.h).
#include "scheduler/recipient.h"

#include <ctime>

#include <fmt/format.h>

#include "base/log.h"
#include "base/strings.h"
#include "delivery/request.h"

namespace tern::scheduler {

namespace {

std::string dsn_of(const Error& e) { return e.dsn.empty() ? (e.is_temporary() ? "4.0.0" : "5.0.0") : e.dsn; }

void log_failure(const queue::Envelope& env, const std::string& to, const std::string& extra, const char* relay,
                 const Error& e) {
  log::info("{}: to=<{}>{}, relay={}, delay={}, dsn={}, status={} ({})", env.id, str::printable(to), extra, relay,
            ::time(nullptr) - env.arrival, dsn_of(e), e.is_temporary() ? "deferred" : "bounced",
            str::printable(e.detail, 300));
}

}  // namespace

RecipientOutcome deliver_recipient(const DeliveryServices& svc, const queue::Envelope& env, std::string_view content,
                                   queue::Recipient& r, const Result<std::vector<rewrite::Target>>& targets,
                                   ProgressLog& progress) {
  RecipientOutcome out;
  if (!targets) {
    log_failure(env, r.address, "", "none", targets.error());
    if (targets.error().is_temporary()) {
      out.reason = targets.error().detail;
      return out;
    }
  } else {
    // The targets still to do, in expansion order.
    std::vector<const rewrite::Target*> todo;
    std::vector<std::string> keys;
    for (auto& t : *targets) {
      auto key = delivery::target_key(t);
      if (!env.target_done(r, key)) {
        todo.push_back(&t);
        keys.push_back(std::move(key));
      }
    }
    bool deferred = false;
    for (size_t i = 0; i < todo.size(); ++i) {
      const auto& t = *todo[i];
      auto d = svc.agent->deliver(env, content, t, r.address);
      std::string orig = t.address == r.address ? "" : fmt::format(", orig_to=<{}>", str::printable(r.address));
      const char* relay = t.kind == rewrite::Target::Kind::virtual_mailbox ? "virtual" : "local";
      if (d) {
        log::info("{}: to=<{}>{}, relay={}, delay={}, dsn=2.0.0, status=sent ({})", env.id, str::printable(t.address),
                  orig, relay, ::time(nullptr) - env.arrival, d->how);
      } else {
        // Permanent failures are logged; DSNs come with the bounce issue.
        log_failure(env, t.address, orig, relay, d.error());
        if (d.error().is_temporary()) {
          deferred = true;
          out.reason = d.error().detail;
          continue;
        }
      }
      bool last_of_all = i + 1 == todo.size() && !deferred;
      if (!last_of_all) progress.target_done(r, keys[i]);
    }
    if (deferred) return out;
  }
  progress.recipient_done(r);
  r.done = true;
  out.done = true;
  return out;
}

}  // namespace tern::scheduler
