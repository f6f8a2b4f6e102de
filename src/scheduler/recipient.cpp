// Implementation of a message's delivery pass (see recipient.h).
#include "scheduler/recipient.h"

#include <algorithm>
#include <chrono>
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

// Postfix's delays=a/b/c/d: see delivery::Delays; a is what the others
// leave of delay=. Shown as Postfix does: two significant digits, whole
// seconds from 10 on, 0 below 10 ms.
std::string delays_text(const queue::Envelope& env, const delivery::Delays& d) {
  auto part = [](double v) {
    if (v < 0.01) return std::string("0");
    if (v >= 10) return fmt::format("{:.0f}", v);
    return fmt::format("{:.2g}", v);
  };
  double a = std::max(0.0, env.age() - d.queued - d.setup - d.transfer);
  return part(a) + "/" + part(d.queued) + "/" + part(d.setup) + "/" + part(d.transfer);
}

void log_failure(const queue::Envelope& env, const std::string& to, const std::string& extra, const char* relay,
                 const Error& e, const delivery::Delays& d = {}) {
  log::info("{}: to=<{}>{}, relay={}, delay={}, delays={}, dsn={}, status={} ({})", env.id, str::printable(to), extra,
            relay, env.delay_text(), delays_text(env, d), dsn_of(e), e.is_temporary() ? "deferred" : "bounced",
            str::printable(e.detail, 300));
}

std::string orig_to(const rewrite::Target& t, const std::string& recipient) {
  return t.address == recipient ? "" : fmt::format(", orig_to=<{}>", str::printable(recipient));
}

const char* relay_of(const rewrite::Target& t) {
  return t.kind == rewrite::Target::Kind::virtual_mailbox ? "virtual" : "local";
}

void log_sent(const queue::Envelope& env, const rewrite::Target& t, const std::string& rcpt, std::string_view relay,
              const std::string& how, const delivery::Delays& d) {
  log::info("{}: to=<{}>{}, relay={}, delay={}, delays={}, dsn=2.0.0, status=sent ({})", env.id,
            str::printable(t.address), orig_to(t, rcpt), relay, env.delay_text(), delays_text(env, d),
            str::printable(how, 300));
}

// One final target of the message and what this pass knows of it.
struct Slot {
  enum class State { todo, done, deferred };
  const rewrite::Target* target = nullptr;
  std::string key;                 // final_target_key, what an 'X' record stores
  State state = State::todo;
  std::string reason, dsn;         // the temporary failure, when deferred
  std::vector<size_t> recipients;  // indices of the recipients leading to it
  bool logged = false;             // its outcome is logged already (a batch)
  std::string relay;               // the host a batch reached, for the log
  std::optional<TargetReport> report;  // a batch's success or permanent failure, for the DSNs
  bool fresh = false;              // done by a batch in this pass, not yet recorded
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
    Slot slot;
    slot.target = &t;
    slot.key = std::move(key);
    slot.state = done ? Slot::State::done : Slot::State::todo;
    slots_.push_back(std::move(slot));
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

// A .forward's addresses: resubmitted as a new message before the user's
// target counts as delivered; each gets Postfix's "forwarded as ID" line.
Result<delivery::Delivered> forward(const DeliveryServices& svc, const queue::Envelope& env, std::string_view content,
                                    const rewrite::Target& t, delivery::Delivered d) {
  if (!svc.forwarder) return Error::temp("forwarding is not available in this process");
  auto id = svc.forwarder->forward(env, content, t.address, d.forward_to);
  if (!id) {
    Error e = id.error();
    e.kind = Error::Kind::temporary;  // our own queue's trouble: try again later
    e.dsn = "4.3.0";
    e.detail = "cannot forward: " + e.detail;
    return e;
  }
  for (auto& a : d.forward_to)
    log::info("{}: to=<{}>, orig_to=<{}>, relay=local, delay={}, dsn=2.0.0, status=sent (forwarded as {})", env.id,
              str::printable(a), str::printable(t.address), env.delay_text(), *id);
  return d;
}

bool extension_counts(const DeliveryServices& svc) { return svc.cfg && !svc.cfg->get("mailbox_command").empty(); }

// The remote targets still to do, grouped by next hop in the order their
// first recipient comes, each group cut in parts of at most batch_limit()
// targets: one part per BatchAgent call. Each part lists its slots.
std::vector<std::vector<size_t>> group_batches(const DeliveryServices& svc, const std::vector<PassRecipient>& rs,
                                               const std::vector<std::vector<size_t>>& mine, Slots& slots) {
  std::vector<std::pair<std::string, std::vector<size_t>>> groups;
  std::vector<bool> claimed;
  for (size_t i = 0; i < rs.size(); ++i) {
    if (!rs[i].deliver) continue;
    for (size_t s : mine[i]) {
      auto& slot = slots[s];
      if (slot.state != Slot::State::todo || slot.target->kind != rewrite::Target::Kind::remote) continue;
      if (claimed.size() <= s) claimed.resize(s + 1);
      if (claimed[s]) continue;
      std::string key = svc.remote->batch_key(*slot.target);
      if (key.empty()) continue;
      claimed[s] = true;
      auto g = std::find_if(groups.begin(), groups.end(), [&](auto& e) { return e.first == key; });
      if (g == groups.end()) g = groups.insert(groups.end(), {key, {}});
      g->second.push_back(s);
    }
  }
  std::vector<std::vector<size_t>> parts;
  const size_t limit = std::max<size_t>(1, svc.remote->batch_limit());
  for (auto& [key, members] : groups)
    for (size_t from = 0; from < members.size(); from += limit)
      parts.emplace_back(members.begin() + static_cast<long>(from),
                         members.begin() + static_cast<long>(std::min(members.size(), from + limit)));
  return parts;
}

// A batch's outcomes into its slots, logged.
void apply_batch(const queue::Envelope& env, const std::vector<PassRecipient>& rs, const std::vector<size_t>& part,
                 std::vector<delivery::BatchOutcome> outcomes, Slots& slots) {
  for (size_t k = 0; k < part.size(); ++k) {
    auto& slot = slots[part[k]];
    const auto& rcpt = rs[slot.recipients.front()].recipient->address;
    delivery::BatchOutcome o = k < outcomes.size() ? std::move(outcomes[k]) : delivery::BatchOutcome{};
    slot.logged = true;
    slot.relay = o.relay;
    // The host that answered, for the DSN's Remote-MTA: "mx.example.com"
    // of "mx.example.com[192.0.2.1]:25".
    std::string mta = o.relay == "none" ? "" : o.relay.substr(0, o.relay.find('['));
    if (o.result) {
      log_sent(env, *slot.target, rcpt, o.relay, o.result->how, o.delays);
      slot.state = Slot::State::done;
      slot.fresh = true;
      slot.report = TargetReport{o.relayed ? TargetReport::Action::relayed : TargetReport::Action::delivered,
                                 slot.target->address, "2.0.0", o.result->how, mta};
      continue;
    }
    log_failure(env, slot.target->address, orig_to(*slot.target, rcpt), o.relay.c_str(), o.result.error(),
                o.delays);
    if (o.result.error().is_temporary()) {
      slot.state = Slot::State::deferred;
      slot.reason = o.result.error().detail;
      slot.dsn = dsn_of(o.result.error());
    } else {
      slot.state = Slot::State::done;
      slot.fresh = true;
      TargetReport r = failure_report(slot.target->address, o.result.error());
      if (!o.reply.empty()) {
        r.remote_mta = mta;  // Diagnostic-Code: smtp; then carries the server's reply
        r.diagnostic = o.reply;
      }
      slot.report = std::move(r);
    }
  }
}

}  // namespace

struct PassRun::Impl {
  const DeliveryServices& svc;
  const queue::Envelope& env;
  std::string_view content;
  std::vector<PassRecipient>& rs;
  Slots slots;
  std::vector<std::vector<size_t>> mine;  // each recipient's slots
  std::vector<std::vector<size_t>> parts;  // each batch's slots
  std::vector<std::vector<delivery::BatchItem>> batches;
};

PassRun::PassRun(const DeliveryServices& svc, const queue::Envelope& env, std::string_view content,
                 std::vector<PassRecipient>& rs)
    : impl_(new Impl{svc, env, content, rs, Slots(filter_limit(svc)), {}, {}, {}}) {
  Slots& slots = impl_->slots;
  auto& mine = impl_->mine;
  // Every recipient's targets, by slot, in expansion order. A target
  // recorded by an earlier pass for any recipient is done; one recorded by
  // an older tern (its exact key, for one recipient) is done for that one.
  const bool with_ext = extension_counts(svc);
  mine.resize(rs.size());
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
  if (!svc.remote) return;
  impl_->parts = group_batches(svc, rs, mine, slots);
  for (const auto& part : impl_->parts) {
    std::vector<delivery::BatchItem> items;
    for (size_t s : part) items.push_back({slots[s].target, rs[slots[s].recipients.front()].recipient});
    impl_->batches.push_back(std::move(items));
  }
}

PassRun::~PassRun() = default;

const std::vector<std::vector<delivery::BatchItem>>& PassRun::batches() const { return impl_->batches; }

void PassRun::batch_done(size_t i, std::vector<delivery::BatchOutcome> outcomes) {
  apply_batch(impl_->env, impl_->rs, impl_->parts.at(i), std::move(outcomes), impl_->slots);
}

void PassRun::finish(ProgressLog& progress) {
  const DeliveryServices& svc = impl_->svc;
  const queue::Envelope& env = impl_->env;
  std::string_view content = impl_->content;
  auto& rs = impl_->rs;
  Slots& slots = impl_->slots;
  auto& mine = impl_->mine;
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
        if (slot.logged) {  // by its batch, for the first recipient leading to it
          slot.logged = false;
          continue;
        }
        log::info("{}: to=<{}>{}, relay={}, delay={}, dsn={}, status=deferred (the same target, deferred for "
                  "another recipient of this message)",
                  env.id, str::printable(t.address), orig_to(t, rcpt), slot.relay.empty() ? relay_of(t) : slot.relay,
                  env.delay_text(), slot.dsn);
        continue;
      }
      if (slot.state == Slot::State::done && !slot.fresh) continue;
      if (slot.fresh) {  // delivered by its batch: record it as if just delivered here
        slot.fresh = false;
        if (slot.report) p.outcome.reports.push_back(*slot.report);
        bool shared = slot.recipients.size() > 1;
        if (shared || others_open(s)) progress.target_done(*p.recipient, slot.key);
        continue;
      }
      const auto began = std::chrono::steady_clock::now();
      // A member that failed at expansion bounces as a delivery would.
      auto d = t.kind == rewrite::Target::Kind::failed ? Result<delivery::Delivered>(Error::with_dsn(t.dsn, t.detail))
                                                       : svc.agent->deliver(env, content, t, rcpt);
      if (d && !d->forward_to.empty()) d = forward(svc, env, content, t, std::move(*d));
      delivery::Delays took;
      took.transfer = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      // Only forwarded: the "forwarded as" lines above stand for it, as in Postfix.
      if (d && !(d->how.empty() && !d->forward_to.empty())) {
        log_sent(env, t, rcpt, relay_of(t), d->how, took);
        // Local agents deliver; a remote agent reports `relayed` itself.
        p.outcome.reports.push_back({TargetReport::Action::delivered, t.address, "2.0.0", {}, {}});
      } else if (!d) {
        log_failure(env, t.address, orig_to(t, rcpt), relay_of(t), d.error(), took);
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

void deliver_recipients(const DeliveryServices& svc, const queue::Envelope& env, std::string_view content,
                        std::vector<PassRecipient>& rs, ProgressLog& progress) {
  PassRun run(svc, env, content, rs);
  for (size_t i = 0; i < run.batches().size(); ++i)
    run.batch_done(i, svc.remote->deliver_batch(env, content, run.batches()[i]));
  run.finish(progress);
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
