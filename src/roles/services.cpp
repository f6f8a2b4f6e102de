// Implementation of build_services (see services.h).
#include "roles/services.h"

#include "auth/user_db.h"
#include "roles/local_helper.h"
#include "roles/password_verifier.h"

namespace tern::roles {

Result<ServiceSet> build_services(std::shared_ptr<const config::Config> cfg, std::shared_ptr<HelperLink> helper,
                                  std::shared_ptr<VerifyPool> verify_pool) {
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
  ServiceSet s;
  std::shared_ptr<sasl::Verifier> verifier;
  if (users && verify_pool) verifier = std::make_shared<PasswordVerifier>(verify_pool, users);
  s.smtp = std::make_shared<smtp::Services>(smtp::Services{cfg, *pol, *rw, smtp::read_limits(*cfg),
                                                           cfg->integer("smtpd_client_connection_count_limit"),
                                                           cfg->integer("smtpd_max_connections"), verifier});
  std::shared_ptr<delivery::Agent> agent = std::make_shared<delivery::LocalAgent>(cfg);
  if (helper) agent = std::make_shared<HelperAgent>(helper, agent);
  s.delivery = std::make_shared<scheduler::DeliveryServices>(scheduler::DeliveryServices{cfg, *rw, agent});
  return s;
}

}  // namespace tern::roles
