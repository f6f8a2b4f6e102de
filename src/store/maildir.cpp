// Maildir delivery. Preferred way: an unnamed O_TMPFILE inode in new/,
// written and fsynced, then linked into new/ under its unique name (no
// cross-directory rename, so concurrent deliveries do not serialize on the
// locks of tmp/ and new/). Fallback where O_TMPFILE or /proc is missing:
// write tmp/NAME (O_EXCL, 0600), fsync it, rename it into new/NAME without
// replacing anything (renameat2 RENAME_NOREPLACE). Either way new/ is then
// fsynced (or left to the caller's group commit), and a reader never sees a
// partial file. Every step works on directory descriptors opened with
// O_NOFOLLOW, so swapping tmp/ or new/ for a symlink between the check and
// the write cannot redirect the message. Any failure removes what was
// written and returns a temporary error: the message stays queued.
//
// SECURITY: writes into users' mailboxes; refuses a Maildir, tmp/ or new/
// that is a symlink and never follows a symlink when creating files.
#include "store/maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/fs.h"
#include "base/log.h"
#include "store/maildir_name.h"

namespace tern::store {
namespace {

constexpr int kNameAttempts = 5;

// "dir/" would make lstat and O_NOFOLLOW follow a symlink named dir.
std::string without_trailing_slash(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// lstat check with a clear reason, before the O_NOFOLLOW open that enforces it.
Status check_dir(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return fs::errno_error("lstat", path, errno);
  if (S_ISLNK(st.st_mode)) {
    log::warn("refusing Maildir delivery: {} is a symlink", path);
    return Error::temp(fmt::format("{} is a symlink", path));
  }
  if (!S_ISDIR(st.st_mode)) return Error::temp(fmt::format("{} is not a directory", path));
  return ok_status();
}

// Opens a Maildir directory without following a symlink. *missing tells
// the caller it does not exist (so it may create it); a symlink or a
// non-directory gets an lstat() for a precise reason, only on that path.
Result<UniqueFd> open_dir_at(int at, const std::string& name, const std::string& path, bool* missing = nullptr) {
  int fd = ::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) return UniqueFd(fd);
  int err = errno;
  if (missing) *missing = err == ENOENT;
  if (err == ELOOP || err == ENOTDIR) {
    if (Status st = check_dir(path); !st) return st.error();
    return Error::temp(fmt::format("{} is a symlink or not a directory", path));
  }
  return fs::errno_error("open directory", path, err);
}

// Opens dir/sub, creating dir/{cur,new,tmp} first when it is missing and
// the caller asked for that.
Result<UniqueFd> open_sub(int top, const std::string& dir, const char* sub, bool create) {
  const std::string path = fs::join(dir, sub);
  bool missing = false;
  auto fd = open_dir_at(top, sub, path, &missing);
  if (fd || !missing || !create) return fd;
  if (Status st = maildir_create(dir); !st) return st.error();
  return open_dir_at(top, sub, path);
}

Status write_and_sync(int fd, std::string_view prefix, std::string_view message, const std::string& path) {
  if (Status st = fs::write_all(fd, prefix, path); !st) return st;
  if (Status st = fs::write_all(fd, message, path); !st) return st;
  return fs::fsync_fd(fd, path);
}

constexpr const char* kNoTmpfile = "O_TMPFILE not available";

// Writes prefix + message to an O_TMPFILE in new/, fsyncs it, and links it
// into new/ under a unique name. Error::temp(kNoTmpfile) means "use the
// tmp/ + rename way instead".
Result<std::string> deliver_unnamed(int new_fd, const std::string& new_path, std::string_view prefix,
                                    std::string_view message) {
  UniqueFd fd(::openat(new_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL || errno == ENOENT) return Error::temp(kNoTmpfile);
    return fs::errno_error("create in", new_path, errno);
  }
  if (Status st = write_and_sync(fd.get(), prefix, message, new_path); !st) return st.error();
  std::string proc = fmt::format("/proc/self/fd/{}", fd.get());
  for (int attempt = 0; attempt < kNameAttempts; ++attempt) {
    std::string name = maildir_unique_name(prefix.size() + message.size(), crlf_size(prefix, message));
    if (::linkat(AT_FDCWD, proc.c_str(), new_fd, name.c_str(), AT_SYMLINK_FOLLOW) == 0) return name;
    if (errno == ENOENT && attempt == 0) return Error::temp(kNoTmpfile);  // no /proc
    if (errno != EEXIST) return fs::errno_error("link into", new_path, errno);
  }
  return Error::temp(fmt::format("{}: no unique file name after {} attempts", new_path, kNameAttempts));
}

}  // namespace

Status maildir_create(const std::string& dir_arg) {
  const std::string dir = without_trailing_slash(dir_arg);
  // Called before every delivery: an existing Maildir costs three lstat()s,
  // not a mkdir() per path component.
  auto is_real_dir = [](const std::string& p) {
    struct stat st;
    return ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  };
  if (is_real_dir(fs::join(dir, "cur")) && is_real_dir(fs::join(dir, "new")) && is_real_dir(fs::join(dir, "tmp")))
    return ok_status();  // maildir_deliver re-checks every directory with O_NOFOLLOW
  if (Status st = fs::make_dirs(dir, 0700); !st) return st;
  if (Status st = check_dir(dir); !st) return st;
  for (const char* sub : {"cur", "new", "tmp"}) {
    std::string p = fs::join(dir, sub);
    if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) return fs::errno_error("mkdir", p, errno);
    if (Status st = check_dir(p); !st) return st;
  }
  return ok_status();
}

Result<std::string> maildir_deliver(const std::string& dir_arg, std::string_view prefix, std::string_view message,
                                    const MaildirOptions& opt) {
  const std::string dir = without_trailing_slash(dir_arg);
  if (opt.size_limit > 0 && prefix.size() + message.size() > opt.size_limit)
    return Error::with_dsn("5.2.2", fmt::format("message of {} bytes exceeds mailbox_size_limit {} for {}",
                                                prefix.size() + message.size(), opt.size_limit, dir));
  // Open first, create only if that fails (as Postfix's virtual(8) does):
  // the common case, an existing Maildir, costs two opens and no lstat().
  bool missing = false;
  auto top = open_dir_at(AT_FDCWD, dir, dir, &missing);
  if (!top && missing && opt.create) {
    if (Status st = maildir_create(dir); !st) return st.error();
    top = open_dir_at(AT_FDCWD, dir, dir);
  }
  if (!top) return top.error();
  const std::string tmp_path = fs::join(dir, "tmp"), new_path = fs::join(dir, "new");
  auto new_dir = open_sub(top->get(), dir, "new", opt.create);
  if (!new_dir) return new_dir.error();

  // Preferred: an unnamed file in new/ (O_TMPFILE), written and fsynced,
  // then linked under its unique name. Readers still never see a partial
  // file, and there is no cross-directory rename: concurrent deliveries
  // into one Maildir would otherwise serialize on the locks of tmp/ and
  // new/ (profiled: a quarter of the CPU at 10 sessions). File systems
  // without O_TMPFILE, or a missing /proc, fall back to tmp/ + rename.
  auto linked = opt.prefer_tmpfile ? deliver_unnamed(new_dir->get(), new_path, prefix, message)
                               : Result<std::string>(Error::temp(kNoTmpfile));
  if (linked) {
    const std::string& lname = *linked;
    if (opt.sync_dir) {
      if (Status st = fs::fsync_fd(new_dir->get(), new_path); !st) {
        ::unlinkat(new_dir->get(), lname.c_str(), 0);
        return st.error();
      }
    }
    return lname;
  } else if (linked.error().detail != kNoTmpfile) {
    return linked.error();
  }

  auto tmp = open_sub(top->get(), dir, "tmp", opt.create);
  if (!tmp) return tmp.error();
  std::string name;
  UniqueFd fd;
  for (int attempt = 0; attempt < kNameAttempts && !fd.valid(); ++attempt) {
    name = maildir_unique_name(prefix.size() + message.size(), crlf_size(prefix, message));
    fd.reset(::openat(tmp->get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid() && errno != EEXIST) return fs::errno_error("create", fs::join(tmp_path, name), errno);
  }
  if (!fd.valid())
    return Error::temp(fmt::format("{}: no unique file name after {} attempts", tmp_path, kNameAttempts));

  const std::string tmp_file = fs::join(tmp_path, name), new_file = fs::join(new_path, name);
  auto fail = [&](Error e) -> Result<std::string> {
    ::unlinkat(tmp->get(), name.c_str(), 0);
    return e;
  };
  if (Status st = write_and_sync(fd.get(), prefix, message, tmp_file); !st) return fail(st.error());
  if (::close(fd.release()) != 0) return fail(fs::errno_error("close", tmp_file, errno));
  if (::renameat2(tmp->get(), name.c_str(), new_dir->get(), name.c_str(), RENAME_NOREPLACE) != 0)
    return fail(fs::errno_error("rename to", new_file, errno));
  if (opt.sync_dir) {
    if (Status st = fs::fsync_fd(new_dir->get(), new_path); !st) {
      // Not known to be durable: take it back so the queue retries, rather
      // than report a delivery a crash could lose.
      ::unlinkat(new_dir->get(), name.c_str(), 0);
      return st.error();
    }
  }
  return name;
}

}  // namespace tern::store
