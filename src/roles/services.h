// Building the run-time services from a configuration snapshot: the SMTP
// side (policy, rewriter) and the delivery side (rewriter, local agent).
// Called at start-up and on every SIGHUP; a failure leaves the old ones.
#pragma once

#include <memory>

#include "base/result.h"
#include "config/config.h"
#include "pop3/server/host.h"
#include "scheduler/scheduler.h"
#include "smtp/server/services.h"

namespace tern::roles {
class HelperLink;
class VerifyPool;
}

namespace tern::roles {

struct ServiceSet {
  std::shared_ptr<const smtp::Services> smtp;
  std::shared_ptr<const scheduler::DeliveryServices> delivery;
  std::shared_ptr<const pop3::Services> pop3;
};

// helper: the link to the root-owned local delivery process, when there is
// one; privileged targets then go through it. recent_logins: the
// POP-before-SMTP table, which outlives reloads (null: nothing feeds it).
// The SMTP services carry one view per listener (smtp::Services). POP3
// shares the password check, the TLS context and the rewriter's mailboxes.
// previous: on reload, the running set; with a helper, certificate and key
// files are then read through it (as root). If the TLS context cannot be
// built (a missing file, a key that does not match), the running TLS
// context is kept with a warning and the rest of the configuration is
// applied (docs/behaviour.md); at start-up (no previous) a TLS error is
// fatal. verify_pool: the threads that check AUTH
// passwords (roles/password_verifier.h); without it, or without a
// user_database, SMTP AUTH is not offered.
Result<ServiceSet> build_services(std::shared_ptr<const config::Config> cfg,
                                  std::shared_ptr<HelperLink> helper = nullptr,
                                  std::shared_ptr<const policy::RecentLogins> recent_logins = nullptr,
                                  std::shared_ptr<VerifyPool> verify_pool = nullptr,
                                  const ServiceSet* previous = nullptr);

}  // namespace tern::roles
