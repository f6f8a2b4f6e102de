// Evaluating restriction lists (see policy.h), with Postfix's replies:
//   reject                     554 5.7.1 <obj>: Client host|Helo command|
//                              Sender address|Recipient address rejected: Access denied
//   defer                      450 4.7.1 <obj>: ... rejected: Try again later
//   reject_unauth_destination  554 5.7.1 <rcpt>: Relay access denied
//   defer_unauth_destination   450 4.7.1 <rcpt>: Relay access denied
//   reject_sender_login_mismatch
//                              553 5.7.1 <sender>: Sender address rejected:
//                              not owned by user alice@... (authenticated) or
//                              not logged in (an owned address, no AUTH)
// "<obj>" is the thing the list is about: the client as "name[ip]" (the
// confirmed name, else "unknown"), the HELO name, the sender or the recipient.
//
// SECURITY: the recipient's domain class comes from the rewriter; a local
// part with "@", "%" or "!" (sender-specified routing) is never an
// authorized destination for a client no earlier restriction permitted,
// as Postfix's allow_untrusted_routing = no.
#include <fmt/format.h>

#include "base/log.h"
#include "base/strings.h"
#include "policy/policy.h"

namespace tern::policy {
namespace {

using K = RestrictionKind;
using Of = Policy::List::Of;

const char* class_name(Of of) {
  switch (of) {
    case Of::client: return "Client host";
    case Of::helo: return "Helo command";
    case Of::sender: return "Sender address";
    case Of::recipient: return "Recipient address";
  }
  return "Recipient address";
}

std::string client_name(const ClientInfo& c) { return fmt::format("{}[{}]", c.name.empty() ? "unknown" : c.name, c.ip); }

// An access-table verdict, worded for the thing looked up.
Verdict worded(Verdict v, std::string_view object, Of of) {
  if (v.action == Verdict::Action::relay) v.action = Verdict::Action::ok;
  if (v.rejects()) v.text = fmt::format("<{}>: {} rejected: {}", object, class_name(of), v.text);
  return v;
}

// Ours (local, virtual, relay_domains) and not sender-specified routing.
bool authorized_destination(std::string_view rcpt, mail::DomainClass cls) {
  if (cls == mail::DomainClass::remote) return false;
  auto at = rcpt.rfind('@');
  std::string_view local = rcpt.substr(0, at == std::string_view::npos ? rcpt.size() : at);
  return local.find_first_of("@%!") == std::string_view::npos;
}

Verdict permit() { return {Verdict::Action::ok, 0, "", ""}; }

}  // namespace

Verdict Policy::run(const List& list, const Context& ctx) const {
  for (auto& r : list.items) {
    Verdict v = check(r, list, ctx);
    if (v.action == Verdict::Action::dunno) continue;
    return v;
  }
  return {};
}

Verdict Policy::check(const Restriction& r, const List& list, const Context& ctx) const {
  std::string object;
  switch (list.of) {
    case Of::client: object = client_name(ctx.client); break;
    case Of::helo: object = std::string(ctx.helo); break;
    case Of::sender: object = std::string(ctx.sender); break;
    case Of::recipient: object = std::string(ctx.recipient); break;
  }
  bool have_rcpt = !ctx.recipient.empty();
  switch (r.kind) {
    case K::permit: return permit();
    case K::reject:
      return Verdict::reject(554, "5.7.1", fmt::format("<{}>: {} rejected: Access denied", object, class_name(list.of)));
    case K::defer:
      return Verdict::reject(450, "4.7.1", fmt::format("<{}>: {} rejected: Try again later", object, class_name(list.of)));
    case K::permit_mynetworks: return ctx.client.mynetworks ? permit() : Verdict{};
    case K::permit_sasl_authenticated: return ctx.client.authenticated ? permit() : Verdict{};
    case K::permit_auth_destination:
      return have_rcpt && authorized_destination(ctx.recipient, ctx.recipient_class) ? permit() : Verdict{};
    case K::reject_unauth_destination:
    case K::defer_unauth_destination:
      if (!have_rcpt || authorized_destination(ctx.recipient, ctx.recipient_class)) return {};
      if (r.kind == K::defer_unauth_destination)
        return Verdict::reject(450, "4.7.1", fmt::format("<{}>: Relay access denied", ctx.recipient));
      return Verdict::reject(554, "5.7.1", fmt::format("<{}>: Relay access denied", ctx.recipient));
    case K::reject_sender_login_mismatch: return sender_login_mismatch(ctx);
    case K::permit_pop_before_smtp:
      return deps_.recent && pop_window_.count() > 0 && deps_.recent->recent(ctx.client.ip, pop_window_) ? permit()
                                                                                                          : Verdict{};
    case K::check_client_access:
      return worded(r.table->check_client(ctx.client.ip), client_name(ctx.client), Of::client);
    case K::check_helo_access:
      if (ctx.helo.empty()) return {};
      return worded(r.table->check_domain(Stage::connect, ctx.helo), ctx.helo, Of::helo);
    case K::check_sender_access: {
      // The null sender is looked up as "<>", as Postfix's smtpd_null_access_lookup_key.
      std::string_view key = ctx.sender.empty() ? std::string_view("<>") : ctx.sender;
      return worded(r.table->check_address(Stage::mail, key), ctx.sender, Of::sender);
    }
    case K::check_recipient_access:
      if (!have_rcpt) return {};
      return worded(r.table->check_address(Stage::rcpt, ctx.recipient), ctx.recipient, Of::recipient);
  }
  return {};
}

Result<std::vector<std::string>> Policy::owners_of(const std::string& sender) const {
  if (login_maps_.empty()) return deps_.owners ? deps_.owners(sender) : std::vector<std::string>{};
  // Keys as Postfix's mail_addr_find: the address, the address without its
  // extension, then "@domain".
  std::string a = str::lower(sender);
  std::vector<std::string> keys{a};
  auto at = a.rfind('@');
  if (at != std::string::npos) {
    std::string local = a.substr(0, at);
    auto ext = delimiter_.empty() ? std::string::npos : local.find_first_of(delimiter_);
    if (ext != std::string::npos && ext > 0) keys.push_back(local.substr(0, ext) + a.substr(at));
    keys.push_back(a.substr(at));
  }
  for (auto& t : login_maps_) {
    for (auto& k : keys) {
      auto r = t->lookup(k);
      if (r.status == maps::Status::try_again) return Error::temp(fmt::format("{}: lookup of {}: {}", t->spec(), k, r.detail));
      if (r.found()) return str::split_list(r.value);
    }
  }
  return std::vector<std::string>{};
}

Verdict Policy::sender_login_mismatch(const Context& ctx) const {
  if (ctx.sender.empty()) return {};  // <>: bounces belong to no one
  SenderOwnersMemo found;
  SenderOwnersMemo& memo = ctx.sender_owners ? *ctx.sender_owners : found;
  if (!memo) {  // first RCPT of the transaction (a temporary failure is asked again at the next)
    auto looked_up = owners_of(std::string(ctx.sender));
    if (!looked_up) {
      log::warn("sender login check of <{}>: {}", str::printable(ctx.sender), looked_up.error().detail);
      return Verdict::reject(451, "4.3.0",
                             fmt::format("<{}>: Sender address rejected: Temporary lookup failure", ctx.sender));
    }
    memo = std::move(*looked_up);
  }
  const std::vector<std::string>* owners = &*memo;
  if (!ctx.client.authenticated) {
    if (owners->empty()) return {};
    return Verdict::reject(553, "5.7.1", fmt::format("<{}>: Sender address rejected: not logged in", ctx.sender));
  }
  for (auto& o : *owners)
    if (!ctx.client.sasl_user.empty() && str::iequals(o, ctx.client.sasl_user)) return {};
  return Verdict::reject(553, "5.7.1", fmt::format("<{}>: Sender address rejected: not owned by user {}", ctx.sender,
                                                   ctx.client.sasl_user));
}

}  // namespace tern::policy
