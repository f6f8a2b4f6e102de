// Building a listener's Policy from a snapshot, and the checks per SMTP
// stage (see policy.h). The restrictions themselves: restriction_eval.cpp.
#include "policy/policy.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace tern::policy {
namespace {

using K = RestrictionKind;

// "main.cf:12: smtpd_relay_restrictions: <detail>", or the file alone when
// the value is the table default.
std::string where(const config::Config& cfg, const std::string& name, const std::string& detail) {
  std::string origin = cfg.origin(name);
  if (origin == "default") origin = cfg.path().empty() ? "default" : cfg.path();
  return fmt::format("{}: {}: {}", origin, name, detail);
}

Status load_list(const config::Config& cfg, std::string name, Policy::List::Of of, Policy::List& out) {
  auto specs = parse_restrictions(cfg.list(name));
  if (!specs) return Error::perm(where(cfg, name, specs.error().detail));
  out.param = std::move(name);
  out.of = of;
  for (auto& s : *specs) {
    Policy::Restriction r{s.kind, nullptr, s.table};
    if (takes_table(s.kind)) {
      auto t = maps::open_table(s.table);
      if (!t) return Error::perm(where(cfg, out.param, fmt::format("{} {}: {}", restriction_name(s.kind),
                                                                   str::printable(s.table, 200), t.error().detail)));
      r.table = std::make_shared<AccessTables>(std::vector<std::shared_ptr<maps::Table>>{*t}, false);
    }
    out.items.push_back(std::move(r));
  }
  return ok_status();
}

bool stops_relay(const Policy::List& l) {
  for (auto& r : l.items)
    if (r.kind == K::reject_unauth_destination || r.kind == K::defer_unauth_destination || r.kind == K::reject ||
        r.kind == K::defer)
      return true;
  return false;
}

}  // namespace

Result<std::shared_ptr<Policy>> Policy::create(const config::Config& cfg, PolicyDeps deps, std::string_view listener) {
  auto p = std::make_shared<Policy>();
  for (auto& item : cfg.list("mynetworks")) {
    auto c = maps::Cidr::parse(item);
    if (!c) return Error::perm(fmt::format("mynetworks: '{}' is not a network address (use a.b.c.d/n or [v6]/n)", item));
    p->mynetworks_.push_back(*c);
  }
  std::vector<std::shared_ptr<maps::Table>> tables;
  for (auto& spec : cfg.list("smtpd_access_maps")) {
    auto t = maps::open_table(spec);
    if (!t) return Error::perm(fmt::format("smtpd_access_maps: {}", t.error().detail));
    tables.push_back(*t);
  }
  p->access_ = std::make_unique<AccessTables>(std::move(tables));
  using Of = List::Of;
  const std::pair<const char*, std::pair<List*, Of>> lists[] = {
      {"client", {&p->client_, Of::client}},   {"helo", {&p->helo_, Of::helo}},
      {"sender", {&p->sender_, Of::sender}},   {"relay", {&p->relay_, Of::recipient}},
      {"recipient", {&p->recipient_, Of::recipient}},
  };
  for (auto& [stage, target] : lists) {
    auto st = load_list(cfg, fmt::format("{}_{}_restrictions", listener, stage), target.second, *target.first);
    if (!st) return st.error();
  }
  // Postfix's guard against an open relay: one of the two lists must be
  // able to refuse a recipient that is not ours.
  if (!stops_relay(p->relay_) && !stops_relay(p->recipient_))
    return Error::perm(where(cfg, p->relay_.param,
                             fmt::format("neither it nor {} contains reject_unauth_destination, "
                                         "defer_unauth_destination, reject or defer, which would make this "
                                         "server an open relay; add reject_unauth_destination at its end",
                                         p->recipient_.param)));
  for (auto& spec : cfg.list("smtpd_sender_login_maps")) {
    auto t = maps::open_table(spec);
    if (!t) return Error::perm(where(cfg, "smtpd_sender_login_maps", t.error().detail));
    p->login_maps_.push_back(*t);
  }
  p->delimiter_ = cfg.get("recipient_delimiter");
  p->pop_window_ = std::chrono::seconds(cfg.seconds("pop_before_smtp_timeout"));
  p->deps_ = std::move(deps);
  return p;
}

bool Policy::in_mynetworks(std::string_view ip) const {
  auto a = maps::IpAddress::parse(ip);
  if (!a) return false;
  for (auto& n : mynetworks_)
    if (n.contains(*a)) return true;
  return false;
}

Verdict Policy::on_connect(ClientInfo& client) const {
  client.mynetworks = in_mynetworks(client.ip);
  Verdict v = access_->check_client(client.ip);
  client.access_ok = v.action == Verdict::Action::ok || v.action == Verdict::Action::relay;
  client.trusted = client.mynetworks || client.access_ok;
  return v;
}

Verdict Policy::on_mail(const ClientInfo& client, std::string_view sender) const {
  Verdict v;
  if (!sender.empty()) {
    v = access_->check_address(Stage::mail, sender);
    if (v.rejects()) {
      v.text = fmt::format("<{}>: Sender address rejected: {}", sender, v.text);
      return v;
    }
  }
  // A client that only authenticating would let in (the submission ports'
  // "permit_sasl_authenticated, reject") learns so at MAIL, in the words of
  // RFC 4954 section 6, rather than with an access error at each RCPT.
  if (!client.authenticated) {
    Context ctx{client, {}, sender, {}};
    if (run(client_, ctx).rejects()) {
      ClientInfo as_user = client;
      as_user.authenticated = true;
      Context authed{as_user, {}, sender, {}};
      if (!run(client_, authed).rejects()) return Verdict::reject(530, "5.7.0", "Authentication required");
    }
  }
  return v;
}

Verdict Policy::on_rcpt(const ClientInfo& client, const RcptContext& rc) const {
  Verdict v = access_->check_address(Stage::rcpt, rc.recipient);
  if (v.rejects()) {
    v.text = fmt::format("<{}>: Recipient address rejected: {}", rc.recipient, v.text);
    return v;
  }
  if (v.action == Verdict::Action::discard) return v;
  Context ctx{client, rc.helo, rc.sender, rc.recipient, rc.recipient_class, rc.sender_owners};
  // smtpd_delay_reject = yes: the client, HELO and sender lists run here.
  for (const List* l : {&client_, &helo_, &sender_}) {
    Verdict r = run(*l, ctx);
    if (r.rejects() || r.action == Verdict::Action::discard) return r;
  }
  // smtpd_access_maps OK/RELAY for the client or the recipient lets it
  // relay, as before restriction lists existed.
  bool access_relay = client.access_ok || v.action == Verdict::Action::ok || v.action == Verdict::Action::relay;
  if (!access_relay) {
    Verdict r = run(relay_, ctx);
    if (r.rejects() || r.action == Verdict::Action::discard) return r;
  }
  Verdict r = run(recipient_, ctx);
  if (r.rejects() || r.action == Verdict::Action::discard) return r;
  return {};
}

}  // namespace tern::policy
