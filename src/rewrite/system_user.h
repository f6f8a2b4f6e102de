// Looking up system accounts (getpwnam_r) for local domains; thread-safe.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/result.h"

namespace tern::rewrite {

struct SystemUser {
  std::string name, home, shell;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Found / not found (nullopt) / temporary error (e.g. NSS trouble).
Result<std::optional<SystemUser>> find_system_user(const std::string& name);

}  // namespace tern::rewrite
