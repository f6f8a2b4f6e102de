// The bounce step of a delivery pass (see bouncer.h).
#include "scheduler/bouncer.h"

#include <fmt/format.h>

#include "base/log.h"
#include "base/strings.h"
#include "mail/dsn.h"

namespace tern::scheduler {

namespace {

using A = NoticeLine::Action;

mail::DsnAction dsn_action(A a) {
  switch (a) {
    case A::failed: return mail::DsnAction::failed;
    case A::delayed: return mail::DsnAction::delayed;
    case A::delivered: return mail::DsnAction::delivered;
    case A::relayed: return mail::DsnAction::relayed;
  }
  return mail::DsnAction::failed;
}

const char* log_kind_for(mail::DsnAction main, bool to_postmaster) {
  if (to_postmaster) return "postmaster non-delivery notification";
  if (main == mail::DsnAction::failed) return "sender non-delivery notification";
  if (main == mail::DsnAction::delayed) return "sender delay notification";
  return "sender delivery status notification";
}

}  // namespace

std::vector<NoticeLine> notice_lines(const std::vector<PassRecipient>& pass, bool expired, bool warn_delay) {
  std::vector<NoticeLine> out;
  for (auto& p : pass) {
    const queue::Recipient& r = *p.recipient;
    for (auto& t : p.outcome.reports) {
      using T = TargetReport::Action;
      bool failed = t.action == T::failed;
      if (!r.wants(failed ? queue::dsn_notify::failure : queue::dsn_notify::success)) continue;
      A a = failed ? A::failed : t.action == T::relayed ? A::relayed : A::delivered;
      out.push_back({&r, a, t.address, t.status, t.diagnostic, t.remote_mta});
    }
    if (r.done || !p.deliver) continue;
    if (expired && r.wants(queue::dsn_notify::failure)) {
      std::string why = p.outcome.reason.empty() ? "message expired" : "message expired: " + p.outcome.reason;
      out.push_back({&r, A::failed, r.address, "4.4.7", why, {}});
    } else if (!expired && warn_delay && r.wants(queue::dsn_notify::delay)) {
      out.push_back({&r, A::delayed, r.address, p.outcome.reason_dsn.empty() ? "4.0.0" : p.outcome.reason_dsn,
                     p.outcome.reason, {}});
    }
  }
  return out;
}

NoticeSettings notice_settings(const config::Config& cfg, std::time_t now) {
  NoticeSettings s;
  s.myhostname = cfg.get("myhostname");
  long long limit = cfg.integer("bounce_size_limit");
  s.bounce_size_limit = limit < 0 ? 0 : static_cast<size_t>(limit);
  s.double_bounce_recipient = cfg.get("2bounce_notice_recipient");
  if (s.double_bounce_recipient.find('@') == std::string::npos)
    s.double_bounce_recipient += "@" + cfg.get("myorigin");
  s.now = now;
  return s;
}

std::optional<Notice> compose_notice(const NoticeSettings& s, const queue::Envelope& env, std::string_view content,
                                     const std::vector<NoticeLine>& lines, std::string& dropped) {
  dropped.clear();
  if (lines.empty()) return std::nullopt;
  bool any_failed = false;
  for (auto& l : lines) any_failed |= l.action == A::failed;
  bool to_postmaster = false;
  if (env.sender.empty()) {
    // Only failures of a bounce of ours go anywhere: to postmaster, once.
    if (env.origin == queue::Origin::double_bounce) {
      if (any_failed) dropped = "undeliverable postmaster notification discarded";
      return std::nullopt;
    }
    if (env.origin != queue::Origin::bounce) {
      if (any_failed) dropped = "sender is null: no non-delivery notification";
      return std::nullopt;
    }
    if (!any_failed) return std::nullopt;
    to_postmaster = true;
  }

  mail::DsnReport rep;
  rep.reporting_mta = s.myhostname;
  rep.sender = to_postmaster ? s.double_bounce_recipient : env.sender;
  rep.queue_id = env.id;
  rep.envid = env.envid;
  rep.ret = env.ret == queue::DsnRet::full   ? mail::DsnReturn::full
            : env.ret == queue::DsnRet::hdrs ? mail::DsnReturn::headers
                                             : mail::DsnReturn::unspecified;
  rep.arrival = env.arrival;
  rep.now = s.now;
  rep.bounce_size_limit = s.bounce_size_limit;
  rep.original = content;
  for (auto& l : lines) {
    if (to_postmaster && l.action != A::failed) continue;
    mail::DsnRecipient rc;
    rc.final_recipient = l.final_recipient;
    // ORCPT as given; else, as Postfix, the recipient when it was rewritten.
    const std::string& orcpt = l.recipient->orcpt;
    if (auto semi = orcpt.find(';'); semi != std::string::npos) {
      rc.original_type = orcpt.substr(0, semi);
      rc.original = orcpt.substr(semi + 1);
    } else if (l.recipient->address != l.final_recipient) {
      rc.original = l.recipient->address;
    }
    rc.action = dsn_action(l.action);
    rc.status = l.status;
    rc.remote_mta = l.remote_mta;
    rc.diagnostic_type = l.remote_mta.empty() ? "X-tern" : "smtp";
    rc.diagnostic = l.diagnostic;
    rc.last_attempt = s.now;
    if (l.action == A::delayed) rc.will_retry_until = s.retry_until;
    rep.recipients.push_back(std::move(rc));
  }
  rep.message_id = fmt::format("<{}.{}@{}>", env.id, s.now, s.myhostname);
  mail::DsnMessage m = mail::compose_dsn(rep);

  Notice n;
  n.envelope.arrival = s.now;
  n.envelope.client = "local";
  n.envelope.protocol = "local";
  n.envelope.helo = s.myhostname;
  n.envelope.sender = "";
  n.envelope.origin = to_postmaster ? queue::Origin::double_bounce : queue::Origin::bounce;
  n.envelope.smtputf8 = m.smtputf8;
  n.envelope.eightbit = m.eight_bit;
  queue::Recipient to;
  to.address = rep.sender;
  n.envelope.recipients.push_back(std::move(to));
  n.content = std::move(m.content);
  n.log_kind = log_kind_for(mail::dsn_main_action(rep.recipients), to_postmaster);
  return n;
}

Status send_notice(queue::Committer& committer, const queue::Spool& spool, const NoticeSettings& s,
                   const queue::Envelope& env, std::string_view content, const std::vector<NoticeLine>& lines) {
  std::string dropped;
  auto notice = compose_notice(s, env, content, lines, dropped);
  if (!notice) {
    if (!dropped.empty()) log::info("{}: {}", env.id, dropped);
    return ok_status();
  }
  auto draft = queue::Draft::create(spool, notice->envelope);
  if (!draft) return draft.error();
  Status st = (*draft)->append(notice->content);
  if (st) st = (*draft)->finish();
  if (!st) return st;
  std::string id = (*draft)->id();
  st = committer.commit_here(std::move(*draft));
  if (!st) {
    log::warn("{}: cannot queue the {}: {}", env.id, notice->log_kind, st.error().detail);
    return st;
  }
  log::info("{}: from=<>, size={}, nrcpt=1 (queue active)", id, notice->content.size());
  log::info("{}: {}: {}", env.id, notice->log_kind, id);
  return ok_status();
}

}  // namespace tern::scheduler
