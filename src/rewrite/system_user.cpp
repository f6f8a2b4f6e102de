// Implementation of find_system_user (see system_user.h).
#include "rewrite/system_user.h"

#include <errno.h>
#include <pwd.h>
#include <string.h>

#include <vector>

namespace tern::rewrite {

Result<std::optional<SystemUser>> find_system_user(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos) return std::optional<SystemUser>();
  std::vector<char> buf(16384);
  struct passwd pw;
  struct passwd* res = nullptr;
  int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res);
  if (rc != 0 && rc != ENOENT && rc != ESRCH) return Error::temp(std::string("getpwnam: ") + strerror(rc));
  if (!res) return std::optional<SystemUser>();
  return std::optional<SystemUser>(SystemUser{pw.pw_name, pw.pw_dir, pw.pw_shell, pw.pw_uid, pw.pw_gid});
}

}  // namespace tern::rewrite
