// Implementation of a message's delivery pass (see recipient.h).
#include "scheduler/recipient.h"

#include <algorithm>
#include <ctime>
#include <optional>
#include <unordered_map>

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

std::string orig_to(const rewrite::Target& t, const std::string& recipient) {
  return t.address == recipient ? "" : fmt::format(", orig_to=<{}>", str::printable(recipient));
}

const char* relay_of(const rewrite::Target& t) {
  return t.kind == rewrite::Target::Kind::virtual_mailbox ? "virtual" : "local";
}

// One final target of the message and what this pass knows of it.
struct Slot {
  enum class State { todo, done, deferred };
  const rewrite::Target* target;
  std::string key;                 // final_target_key, what an 'X' record stores
  State state = State::todo;
  std::string reason, dsn;         // the temporary failure, when deferred
  std::vector<size_t> recipients;  // indices of the recipients leading to it
};

// The duplicate filter of one pass: final target key -> slot, remembering
// at most `limit` keys (0: no limit); a target past the limit gets a slot
// of its own, so its duplicates are delivered again (Postfix's
// duplicate_filter_limit).
class Slots {
 public:
  explicit Slots(size_t limit) : limit_(limit) {}
  size_t slot_for(const rewrite::Target& t, std::string key, bool done) {
    if (auto it = seen_.find(key); it != seen_.end()) return it->second;
    size_t i = slots_.size();
    if (limit_ == 0 || seen_.size() < limit_) seen_.emplace(key, i);
    slots_.push_back({&t, std::move(key), done ? Slot::State::done : Slot::State::todo, {}, {}, {}});
    return i;
  }
  Slot& operator[](size_t i) { return slots_[i]; }

 private:
  size_t limit_;
  std::vector<Slot> slots_;
  std::unordered_map<std::string, size_t> seen_;
};

TargetReport failure_report(const std::string& address, const Error& e) {
  return {TargetReport::Action::failed, address, dsn_of(e), e.detail, {}};
}

size_t filter_limit(const DeliveryServices& svc) {
  long long n = svc.cfg ? svc.cfg->integer("duplicate_filter_limit") : 1000;
  return n < 0 ? 0 : static_cast<size_t>(n);
}

bool extension_counts(const DeliveryServices& svc) { return svc.cfg && !svc.cfg->get("mailbox_command").empty(); }

}  // namespace

void deliver_recipients(const DeliveryServices& svc, const queue::Envelope& env, std::string_view content,
                        std::vector<PassRecipient>& rs, ProgressLog& progress) {
  // Every recipient's targets, by slot, in expansion order. A target
  // recorded by an earlier pass for any recipient is done; one recorded by
  // an older tern (its exact key, for one recipient) is done for that one.
  Slots slots(filter_limit(svc));
  const bool with_ext = extension_counts(svc);
  std::vector<std::vector<size_t>> mine(rs.size());
  for (size_t i = 0; i < rs.size(); ++i) {
    if (!rs[i].targets) continue;
    for (auto& t : *rs[i].targets) {
      if (env.target_done(*rs[i].recipient, delivery::target_key(t))) continue;
      auto key = delivery::final_target_key(t, with_ext);
      bool done = env.target_done_for_any(key);
      size_t s = slots.slot_for(t, std::move(key), done);
      if (std::find(mine[i].begin(), mine[i].end(), s) != mine[i].end()) continue;
      mine[i].push_back(s);
      slots[s].recipients.push_back(i);
    }
  }
  for (size_t i = 0; i < rs.size(); ++i) {
    auto& p = rs[i];
    if (!p.deliver) continue;
    const std::string& rcpt = p.recipient->address;
    if (!p.targets) {
      log_failure(env, rcpt, "", "none", p.targets.error());
      if (p.targets.error().is_temporary()) {
        p.outcome.reason = p.targets.error().detail;
        p.outcome.reason_dsn = dsn_of(p.targets.error());
        continue;
      }
      p.outcome.reports.push_back(failure_report(rcpt, p.targets.error()));
    }
    // Is anything of this recipient's left undone apart from slot s?
    auto others_open = [&](size_t s) {
      for (size_t o : mine[i])
        if (o != s && slots[o].state != Slot::State::done) return true;
      return false;
    };
    for (size_t s : mine[i]) {
      auto& slot = slots[s];
      const auto& t = *slot.target;
      if (slot.state == Slot::State::deferred) {
        log::info("{}: to=<{}>{}, relay={}, delay={}, dsn={}, status=deferred (the same target, deferred for "
                  "another recipient of this message)",
                  env.id, str::printable(t.address), orig_to(t, rcpt), relay_of(t), ::time(nullptr) - env.arrival,
                  slot.dsn);
        continue;
      }
      if (slot.state == Slot::State::done) continue;
      auto d = svc.agent->deliver(env, content, t, rcpt);
      if (d) {
        log::info("{}: to=<{}>{}, relay={}, delay={}, dsn=2.0.0, status=sent ({})", env.id, str::printable(t.address),
                  orig_to(t, rcpt), relay_of(t), ::time(nullptr) - env.arrival, d->how);
        // Local agents deliver; a remote agent reports `relayed` itself.
        p.outcome.reports.push_back({TargetReport::Action::delivered, t.address, "2.0.0", {}, {}});
      } else {
        log_failure(env, t.address, orig_to(t, rcpt), relay_of(t), d.error());
        if (d.error().is_permanent()) p.outcome.reports.push_back(failure_report(t.address, d.error()));
        if (d.error().is_temporary()) {
          slot.state = Slot::State::deferred;
          slot.reason = d.error().detail;
          slot.dsn = dsn_of(d.error());
          continue;
        }
      }
      slot.state = Slot::State::done;
      bool shared = slot.recipients.size() > 1;
      if (shared || others_open(s)) progress.target_done(*p.recipient, slot.key);
    }
    bool deferred = false;
    for (size_t s : mine[i])
      if (slots[s].state == Slot::State::deferred) {
        deferred = true;
        p.outcome.reason = slots[s].reason;
        p.outcome.reason_dsn = slots[s].dsn;
      }
    if (deferred) continue;
    progress.recipient_done(*p.recipient);
    p.recipient->done = true;
    p.outcome.done = true;
  }
}

RecipientOutcome deliver_recipient(const DeliveryServices& svc, const queue::Envelope& env, std::string_view content,
                                   queue::Recipient& r, const Result<std::vector<rewrite::Target>>& targets,
                                   ProgressLog& log) {
  std::vector<PassRecipient> one;
  one.push_back({&r, targets, true, {}});
  deliver_recipients(svc, env, content, one, log);
  return one[0].outcome;
}

}  // namespace tern::scheduler
