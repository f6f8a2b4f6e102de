// Implementation of build_services (see services.h), and the one place
// where a listener's overrides apply: port 587 sessions see main.cf with
// each submission_X in place of smtpd_X, port 465 sessions with each
// submissions_X (docs/configuration.md, "Per-listener parameters").
#include "roles/services.h"

#include <fmt/format.h>

#include "auth/user_db.h"
#include "base/log.h"
#include "imap/server/mime_parser.h"
#include "imap/server/store_accounts.h"
#include "pop3/server/store_maildrop.h"
#include "roles/local_helper.h"
#include "remote/remote_agent.h"
#include "roles/password_verifier.h"
#include "scheduler/retry_rules.h"
#include "store/mail_location.h"
#include "store/quota.h"
#include "tls/server_context.h"

namespace tern::roles {
namespace {

// The configuration as the listener with this prefix sees it: every table
// parameter "<prefix>_X" (set or default) replaces "smtpd_X", when that
// exists; "<prefix>_listen" is the listener itself, not an override.
std::shared_ptr<const config::Config> listener_view(std::shared_ptr<const config::Config> cfg, std::string_view prefix) {
  auto view = cfg;
  for (const auto& p : config::param_table()) {
    std::string_view name = p.name;
    if (name.size() <= prefix.size() + 1 || name.substr(0, prefix.size()) != prefix || name[prefix.size()] != '_' ||
        name.ends_with("_listen"))
      continue;
    std::string base = "smtpd" + std::string(name.substr(prefix.size()));
    if (!config::find_param(base)) continue;
    // Already expanded here: "$" is doubled so that it stays literal.
    std::string value;
    for (char c : cfg->get(name)) value += c == '$' ? std::string("$$") : std::string(1, c);
    view = view->with(base, value);
  }
  return view;
}

// The default owners of a sender address (smtpd_sender_login_maps empty):
// the accounts its expansion reaches, so alice owns alice@virt.test and
// every alias that delivers to her mailbox.
policy::SenderOwners owners_from(std::shared_ptr<rewrite::Rewriter> rw) {
  return [rw](const std::string& sender) -> Result<std::vector<std::string>> {
    auto targets = rw->expand(sender);
    if (!targets) {
      if (targets.error().is_temporary()) return targets.error();
      return std::vector<std::string>{};  // unknown address: no owner
    }
    std::vector<std::string> accounts;
    for (auto& t : *targets)
      if (t.kind == rewrite::Target::Kind::virtual_mailbox) accounts.push_back(t.address);
    return accounts;
  };
}

}  // namespace

Result<ServiceSet> build_services(std::shared_ptr<const config::Config> cfg, std::shared_ptr<HelperLink> helper,
                                  std::shared_ptr<const policy::RecentLogins> recent_logins,
                                  std::shared_ptr<VerifyPool> verify_pool, const ServiceSet* previous) {
  std::shared_ptr<auth::UserDb> users;
  std::string spec = cfg->get("user_database");
  if (!spec.empty()) {
    auto db = auth::UserDb::open(spec);
    if (!db) return Error::perm("user_database: " + db.error().detail);
    users = *db;
  }
  rewrite::AccountExists accounts;
  if (users) accounts = [users](const std::string& a) { return users->find(a).has_value(); };
  auto rw = rewrite::Rewriter::create(cfg, accounts);
  if (!rw) return rw.error();
  auto canonical_made = rewrite::Canonical::create(*cfg);
  if (!canonical_made) return canonical_made.error();
  std::shared_ptr<const rewrite::Canonical> canonical = *canonical_made;
  std::shared_ptr<sasl::Verifier> verifier;
  if (users && verify_pool) verifier = std::make_shared<PasswordVerifier>(verify_pool, users);
  if (verify_pool)
    verify_pool->logins().configure(static_cast<size_t>(cfg->bytes("auth_cache_size")),
                                    std::chrono::seconds(cfg->seconds("auth_cache_ttl")));
  // TLS: certificates and keys are read here: as root at start-up; on a
  // reload after the privilege drop, by the root-owned local delivery
  // process, which reads only the files its configuration names.
  tls::FileReader read = tls::read_from_disk;
  if (previous && helper) read = [helper](const std::string& path) { return helper->read_file(path); };
  std::shared_ptr<const io::TlsServer> tls_server;
  if (auto tls = tls::ServerContext::create(*cfg, read); tls) {
    if (*tls)  // null: no certificate, TLS off
      for (const auto& w : (*tls)->warnings()) log::warn("{}", w);
    tls_server = *tls;
  } else if (previous && previous->smtp && previous->smtp->tls) {
    log::warn("TLS not reloaded, sessions go on with the certificate loaded before: {}", tls.error().detail);
    tls_server = previous->smtp->tls;
  } else {
    return tls.error();
  }
  policy::PolicyDeps deps{owners_from(*rw), std::move(recent_logins)};
  auto smtp_for = [&](std::string_view prefix) -> Result<std::shared_ptr<smtp::Services>> {
    auto view = prefix == "smtpd" ? cfg : listener_view(cfg, prefix);
    auto pol = policy::Policy::create(*view, deps, prefix);
    if (!pol) return pol.error();
    auto svc = std::make_shared<smtp::Services>(smtp::Services{view, *pol, *rw, smtp::read_limits(*view),
                                                                cfg->integer("smtpd_client_connection_count_limit"),
                                                                cfg->integer("smtpd_max_connections"), tls_server});
    svc->verifier = verifier;
    svc->canonical = canonical;
    // Whether this listener offers AUTH: smtpd_, submission_ or
    // submissions_sasl_auth_enable (the view already maps the latter two
    // onto the first; named here so each listener's switch has its reader).
    svc->limits.sasl_auth_enable = view->boolean(fmt::format("{}_sasl_auth_enable", prefix));
    return svc;
  };
  auto main = smtp_for("smtpd");
  if (!main) return main.error();
  auto submission = smtp_for("submission");
  if (!submission) return submission.error();
  auto submissions = smtp_for("submissions");
  if (!submissions) return submissions.error();
  (*main)->submission = *submission;
  (*main)->submissions = *submissions;
  ServiceSet s;
  s.smtp = *main;
  // Quotas: the quota_rule parameter for every account, a passwd-file line's
  // userdb_quota_rule for its own (store/quota.h).
  auto default_quota = store::parse_quota_rule(cfg->get("quota_rule"));
  if (!default_quota) return Error::perm(cfg->origin("quota_rule") + ": " + default_quota.error().detail);
  store::QuotaLookup quota_of = [users, rule = *default_quota](const std::string& account) -> Result<store::QuotaRule> {
    if (users)
      if (auto u = users->find(account); u && !u->extra.empty()) {
        auto own = store::quota_rule_from_extra(u->extra);
        if (!own) return Error::perm(users->path() + ": " + account + ": " + own.error().detail);
        if (*own) return **own;
      }
    return rule;
  };
  // userdb_mail=mbox:ROOT:INBOX=PATH on a passwd-file line: that account's
  // INBOX is an mbox file for IMAP and POP3 (store/mail_location.h).
  store::MailLocationLookup mail_of = [users](const std::string& account) -> Result<std::optional<store::MailLocation>> {
    if (users)
      if (auto u = users->find(account); u && !u->extra.empty()) {
        auto loc = store::mail_location_from_extra(u->extra, account, u->home);
        if (!loc) return Error::perm(users->path() + ": " + account + ": " + loc.error().detail);
        return *loc;
      }
    return std::optional<store::MailLocation>();
  };
  std::shared_ptr<delivery::Agent> agent = std::make_shared<delivery::LocalAgent>(cfg, quota_of);
  if (helper) agent = std::make_shared<HelperAgent>(helper, agent);
  auto remote = remote::RemoteAgent::create(cfg);
  if (!remote) return remote.error();
  auto retry_rules = scheduler::retry::parse(*cfg);
  if (!retry_rules) return retry_rules.error();
  auto delivery = std::make_shared<scheduler::DeliveryServices>(scheduler::DeliveryServices{cfg, *rw, agent, *remote});
  delivery->retry_rules = std::make_shared<const scheduler::retry::Rules>(std::move(*retry_rules));
  s.delivery = std::move(delivery);
  auto pop3 = std::make_shared<pop3::Services>();
  pop3->settings = pop3::read_settings(*cfg);
  pop3->verifier = verifier;
  pop3->tls = tls_server;
  pop3->maildrops = std::make_shared<pop3::StoreMaildrops>(cfg->get("virtual_mailbox_base"), mail_of);
  s.pop3 = std::move(pop3);
  auto imap = std::make_shared<imap::Services>();
  imap->settings = imap::read_settings(*cfg);
  imap->verifier = verifier;
  imap->tls = tls_server;
  imap->accounts = std::make_shared<imap::StoreAccounts>(cfg->get("virtual_mailbox_base"), quota_of, mail_of);
  imap->structure = std::make_shared<const imap::MimeParser>();
  s.imap = std::move(imap);
  return s;
}

}  // namespace tern::roles
