// Implementation of the privilege drop (see privileges.h).
#include "roles/privileges.h"

#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"

namespace tern::roles {
namespace {

// chown a directory tree we own (queue), never following symlinks.
void chown_tree(const std::string& path, uid_t uid, gid_t gid, int depth = 0) {
  if (::lchown(path.c_str(), uid, gid) != 0 || depth > 3) return;
  DIR* d = ::opendir(path.c_str());
  if (!d) return;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string child = fs::join(path, name);
    struct stat st;
    if (::lstat(child.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) continue;
    if (S_ISDIR(st.st_mode))
      chown_tree(child, uid, gid, depth + 1);
    else
      ::lchown(child.c_str(), uid, gid);
  }
  ::closedir(d);
}

}  // namespace

Status drop_privileges(const config::Config& cfg, const queue::Spool& spool) {
  if (::geteuid() != 0) return ok_status();
  std::string owner = cfg.get("mail_owner");
  if (owner.empty()) {
    log::warn("running as root with mail_owner empty: network-facing code keeps root privileges; "
              "set mail_owner to an unprivileged user");
    return ok_status();
  }
  struct passwd* pw = ::getpwnam(owner.c_str());
  if (!pw)
    return Error::perm(fmt::format("mail_owner '{}' is not a user on this system; create it with "
                                   "'useradd --system --no-create-home --shell /usr/sbin/nologin {}'",
                                   owner, owner));
  if (pw->pw_uid == 0) return Error::perm("mail_owner must not be root");
  uid_t uid = pw->pw_uid;
  gid_t gid = pw->pw_gid;
  chown_tree(spool.dir(), uid, gid);
  std::string vbase = cfg.get("virtual_mailbox_base");
  if (!vbase.empty() && !fs::exists(vbase)) {
    if (fs::make_dirs(vbase, 0750)) ::lchown(vbase.c_str(), uid, gid);
  }
  std::string log_file = cfg.get("maillog_file");
  if (!log_file.empty() && log_file != "syslog" && log_file != "stderr") ::lchown(log_file.c_str(), uid, gid);
  if (::initgroups(owner.c_str(), gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
    return Error::perm(fmt::format("cannot switch to mail_owner '{}'", owner));
  if (::setuid(0) == 0 || ::geteuid() == 0) return Error::perm("privilege drop failed: root can be regained");
  log::info("running as mail_owner {} (uid {})", owner, uid);
  return ok_status();
}

}  // namespace tern::roles
