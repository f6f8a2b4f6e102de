// Implementation of build_services (see services.h).
#include "roles/services.h"

#include "auth/user_db.h"
#include "base/log.h"
#include "roles/local_helper.h"
#include "tls/server_context.h"

namespace tern::roles {

Result<ServiceSet> build_services(std::shared_ptr<const config::Config> cfg, std::shared_ptr<HelperLink> helper,
                                  const ServiceSet* previous) {
  std::shared_ptr<auth::UserDb> users;
  std::string spec = cfg->get("user_database");
  if (!spec.empty()) {
    auto db = auth::UserDb::open(spec);
    if (!db) return Error::perm("user_database: " + db.error().detail);
    users = *db;
  }
  auto pol = policy::Policy::create(*cfg);
  if (!pol) return pol.error();
  rewrite::AccountExists accounts;
  if (users) accounts = [users](const std::string& a) { return users->find(a).has_value(); };
  auto rw = rewrite::Rewriter::create(cfg, accounts);
  if (!rw) return rw.error();
  // TLS: certificates and keys are read here (as root at start-up).
  std::shared_ptr<const io::TlsServer> tls_server;
  if (auto tls = tls::ServerContext::create(*cfg); tls) {
    if (*tls)  // null: no certificate, TLS off
      for (const auto& w : (*tls)->warnings()) log::warn("{}", w);
    tls_server = *tls;
  } else if (previous && previous->smtp && previous->smtp->tls) {
    log::warn("TLS not reloaded, sessions go on with the certificate loaded before: {} (a key readable only by "
              "root is read at start-up: restart tern to load a new one)",
              tls.error().detail);
    tls_server = previous->smtp->tls;
  } else {
    return tls.error();
  }
  ServiceSet s;
  s.smtp = std::make_shared<smtp::Services>(smtp::Services{cfg, *pol, *rw, smtp::read_limits(*cfg),
                                                           cfg->integer("smtpd_client_connection_count_limit"),
                                                           cfg->integer("smtpd_max_connections"), tls_server});
  std::shared_ptr<delivery::Agent> agent = std::make_shared<delivery::LocalAgent>(cfg);
  if (helper) agent = std::make_shared<HelperAgent>(helper, agent);
  s.delivery = std::make_shared<scheduler::DeliveryServices>(scheduler::DeliveryServices{cfg, *rw, agent});
  return s;
}

}  // namespace tern::roles
