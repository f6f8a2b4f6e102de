// Implementation of the privilege drop (see privileges.h).
#include "roles/privileges.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "base/fd.h"
#include "base/fs.h"
#include "base/log.h"

namespace tern::roles {
namespace {

// chown one regular file, named relative to dir_fd, without following a
// link: opened O_NOFOLLOW and changed through the descriptor. A file with
// several hard links (one may have been planted to a file elsewhere) is
// left alone and logged.
void chown_regular_at(int dir_fd, const char* name, const std::string& path, uid_t uid, gid_t gid) {
  UniqueFd file(::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  struct stat st;
  if (!file.valid() || ::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  if (st.st_nlink != 1) {
    log::warn("{}: has {} hard links; ownership left unchanged", path, st.st_nlink);
    return;
  }
  (void)::fchown(file.get(), uid, gid);
}

// chown the queue tree to mail_owner. The tree is writable by mail_owner
// while this runs as root, so every step is relative to a directory already
// opened with O_NOFOLLOW: fstatat without following, openat(O_NOFOLLOW) and
// fchown on the opened descriptor. A name swapped for a symlink between two
// calls makes the open fail.
void chown_tree_at(int dir_fd, const std::string& path, uid_t uid, gid_t gid, int depth) {
  if (::fchown(dir_fd, uid, gid) != 0 || depth > 3) return;
  int walk_fd = ::dup(dir_fd);
  DIR* d = walk_fd < 0 ? nullptr : ::fdopendir(walk_fd);
  if (!d) {
    if (walk_fd >= 0) ::close(walk_fd);
    return;
  }
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      UniqueFd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (child.valid()) chown_tree_at(child.get(), fs::join(path, name), uid, gid, depth + 1);
    } else if (S_ISREG(st.st_mode)) {
      chown_regular_at(dir_fd, name.c_str(), fs::join(path, name), uid, gid);
    }
    // Symlinks, sockets and FIFOs: nothing tern needs; the submission
    // socket is made afresh by the daemon after the switch.
  }
  ::closedir(d);
}

void chown_tree(const std::string& path, uid_t uid, gid_t gid) {
  UniqueFd top(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!top.valid()) {
    log::warn("{}: cannot open to change its owner: {}", path, std::strerror(errno));
    return;
  }
  chown_tree_at(top.get(), path, uid, gid, 0);
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
  // maillog_file stays root's: it was opened before this drop, and the
  // descriptor outlives it (base/log.cpp refuses a log owned by anyone else).
  if (::initgroups(owner.c_str(), gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
    return Error::perm(fmt::format("cannot switch to mail_owner '{}'", owner));
  if (::setuid(0) == 0 || ::geteuid() == 0) return Error::perm("privilege drop failed: root can be regained");
  log::info("running as mail_owner {} (uid {})", owner, uid);
  return ok_status();
}

}  // namespace tern::roles
