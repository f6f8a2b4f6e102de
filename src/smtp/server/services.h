// Services: what an SMTP session uses, taken as one immutable snapshot when
// the session starts. SIGHUP builds a new snapshot (new configuration,
// reopened tables) and sessions already running keep the one they began
// with, so a reload never drops a session.
#pragma once

#include <memory>

#include "config/config.h"
#include "policy/policy.h"
#include "rewrite/rewriter.h"

namespace tern::smtp {

struct Services {
  std::shared_ptr<const config::Config> cfg;
  std::shared_ptr<policy::Policy> policy;
  std::shared_ptr<rewrite::Rewriter> rewriter;
};

}  // namespace tern::smtp
