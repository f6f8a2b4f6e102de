// Relay control and access checks per SMTP stage (see policy.h).
#include "policy/policy.h"

#include <fmt/format.h>

namespace tern::policy {

Result<std::shared_ptr<Policy>> Policy::create(const config::Config& cfg) {
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
  client.trusted = in_mynetworks(client.ip);
  Verdict v = access_->check_client(client.ip);
  if (v.action == Verdict::Action::ok || v.action == Verdict::Action::relay) client.trusted = true;
  return v;
}

Verdict Policy::on_mail(const ClientInfo& client, std::string_view sender) const {
  if (sender.empty()) return {};
  Verdict v = access_->check_address(Stage::mail, sender);
  if (v.rejects()) v.text = fmt::format("<{}>: Sender address rejected: {}", sender, v.text);
  return v;
}

Verdict Policy::on_rcpt(const ClientInfo& client, std::string_view rcpt, mail::DomainClass cls) const {
  Verdict v = access_->check_address(Stage::rcpt, rcpt);
  if (v.rejects()) {
    v.text = fmt::format("<{}>: Recipient address rejected: {}", rcpt, v.text);
    return v;
  }
  if (v.action == Verdict::Action::discard) return v;
  bool trusted = client.trusted || client.authenticated || v.action == Verdict::Action::ok ||
                 v.action == Verdict::Action::relay;
  // Sender-specified routing (user%host@, host!user@, "user@host"@) in a
  // domain we accept could make us relay for anyone: refused from untrusted
  // clients, as Postfix's allow_untrusted_routing = no does.
  auto at = rcpt.rfind('@');
  std::string_view local = rcpt.substr(0, at == std::string_view::npos ? rcpt.size() : at);
  if (!trusted && local.find_first_of("@%!") != std::string_view::npos)
    return Verdict::reject(554, "5.7.1", fmt::format("<{}>: Relay access denied", rcpt));
  if (cls != mail::DomainClass::remote) return {};
  if (trusted) return {Verdict::Action::ok, 0, "", ""};
  return Verdict::reject(554, "5.7.1", fmt::format("<{}>: Relay access denied", rcpt));
}

}  // namespace tern::policy
