// MaildirStore (see maildir_store.h): Maildir++ folder names and the
// folder operations of one account.
#include "store/maildir_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/dir_entries.h"
#include "base/fs.h"
#include "base/log.h"
#include "store/change_hub.h"
#include "store/maildir.h"
#include "store/maildir_mailbox.h"
#include "store/maildir_name.h"
#include "store/rename_log.h"

namespace tern::store {
namespace {

constexpr int kMaxRemoveDepth = 4;  // folder/cur/file; anything deeper is not ours to delete

Error no_folder(std::string_view folder) {
  return Error::with_dsn("5.2.0", fmt::format("no such folder: {}", folder));
}

// The account's root, never through a symlink: -1 with errno on failure.
int open_root_fd(const std::string& root) {
  return ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

Result<UniqueFd> open_root(const std::string& root) {
  int fd = open_root_fd(root);
  if (fd < 0) return fs::errno_error("open directory", root, errno);
  return UniqueFd(fd);
}

// Entries of a directory, "." and ".." left out.
Result<std::vector<std::string>> entries(int dir_fd, const std::string& path) {
  int dup_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) return fs::errno_error("open directory", path, errno);
  DIR* d = ::fdopendir(dup_fd);
  if (!d) {
    ::close(dup_fd);
    return fs::errno_error("read directory", path, errno);
  }
  std::vector<std::string> out;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") out.emplace_back(n);
  }
  ::closedir(d);
  return out;
}

bool is_real_dir_at(int dir_fd, const std::string& name) {
  struct stat st;
  return ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

// Deletes dir_fd/name and what it holds, never following a symlink (a
// symlink inside is removed as a name, its target untouched).
Status remove_tree(int dir_fd, const std::string& name, const std::string& path, int depth) {
  if (depth > kMaxRemoveDepth) return Error::temp(fmt::format("{}: nested too deep to delete", path));
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fs::errno_error("open directory", path, errno);
  UniqueFd sub(fd);
  auto names = entries(sub.get(), path);
  if (!names) return names.error();
  for (const std::string& n : *names) {
    if (is_real_dir_at(sub.get(), n)) {
      if (Status st = remove_tree(sub.get(), n, fs::join(path, n), depth + 1); !st) return st;
    } else if (::unlinkat(sub.get(), n.c_str(), 0) != 0 && errno != ENOENT) {
      return fs::errno_error("unlink", fs::join(path, n), errno);
    }
  }
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0) return fs::errno_error("rmdir", path, errno);
  return ok_status();
}

// A name in the root no folder can have ("..", an empty level), unique.
std::string scratch_name(const char* what) { return fmt::format("..tern-{}.{}", what, maildir_unique_name(0)); }

// Tells the watchers of the account's folder names (watch_names) once the
// change is over, whether it worked or not: they compare the list anyway.
struct NamesChanged {
  std::string key;
  ~NamesChanged() { ChangeHub::process().changed(key); }
};

}  // namespace

bool is_inbox(std::string_view folder) { return folder.size() == 5 && ::strncasecmp(folder.data(), "INBOX", 5) == 0; }

bool folder_name_ok(std::string_view folder) {
  if (folder.empty() || folder.size() > kMaxFolderNameBytes) return false;
  size_t levels = 1;
  char prev = '.';
  for (unsigned char c : folder) {
    if (c == '/' || c < 0x20 || c == 0x7f) return false;
    if (c == '.') {
      if (prev == '.') return false;  // empty level: leading '.', "..", "a..b"
      ++levels;
    }
    prev = static_cast<char>(c);
  }
  return prev != '.' && levels <= kMaxFolderLevels;
}

MaildirStore::MaildirStore(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

Result<std::string> MaildirStore::dir_of(std::string_view folder) const {
  if (is_inbox(folder)) return root_;
  if (!folder_name_ok(folder))
    return Error::with_dsn("5.2.0", fmt::format("folder name not allowed: {}", folder));
  return fs::join(root_, "." + std::string(folder));
}

Result<std::unique_ptr<Mailbox>> MaildirStore::open(std::string_view folder) {
  auto dir = dir_of(folder);
  if (!dir) return dir.error();
  if (is_inbox(folder)) {
    if (Status st = maildir_create(root_); !st) return st.error();
  }
  auto mb = MaildirMailbox::open(root_, *dir, is_inbox(folder) ? "INBOX" : std::string(folder));
  if (!mb) return mb.error();
  return std::unique_ptr<Mailbox>(std::move(*mb));
}

std::string MaildirStore::names_key() const { return root_ + "\nnames"; }

std::unique_ptr<ChangeHub::Watch> MaildirStore::watch(std::string_view folder, ChangeHub::Callback cb) {
  auto dir = dir_of(folder);  // the name MaildirMailbox and delivery tell the hub
  return dir ? ChangeHub::process().watch(*dir, std::move(cb)) : nullptr;
}

std::unique_ptr<ChangeHub::Watch> MaildirStore::watch_names(ChangeHub::Callback cb) {
  return ChangeHub::process().watch(names_key(), std::move(cb));
}

// LIST comes often (webmails, imaptest: one command in twelve): the root
// is listed once, its folders told by the type the listing gives (stat()
// only where the file system gives none), and the account's Maildir made
// only when it is missing, as at its first login.
Result<std::vector<std::string>> MaildirStore::list() {
  int fd = open_root_fd(root_);
  if (fd < 0 && errno == ENOENT) {
    if (Status st = maildir_create(root_); !st) return st.error();
    fd = open_root_fd(root_);
  }
  if (fd < 0) return fs::errno_error("open directory", root_, errno);
  const UniqueFd root(fd);
  std::vector<std::string> out;
  Status st = fs::for_each_dir_entry(root.get(), root_, [&](std::string_view n, unsigned char d_type) {
    if (n.size() < 2 || n[0] != '.' || !folder_name_ok(n.substr(1))) return;
    if (d_type == DT_UNKNOWN ? !is_real_dir_at(root.get(), std::string(n)) : d_type != DT_DIR) return;
    out.emplace_back(n.substr(1));
  });
  if (!st) return st.error();
  std::sort(out.begin(), out.end());
  out.insert(out.begin(), "INBOX");
  return out;
}

Status MaildirStore::create(std::string_view folder) {
  NamesChanged told{names_key()};
  if (is_inbox(folder)) return Error::with_dsn("5.2.0", "INBOX already exists");
  auto dir = dir_of(folder);
  if (!dir) return dir.error();
  if (Status st = maildir_create(root_); !st) return st;
  auto root = open_root(root_);
  if (!root) return root.error();
  const std::string scratch = scratch_name("creating"), scratch_path = fs::join(root_, scratch);
  if (::mkdirat(root->get(), scratch.c_str(), 0700) != 0) return fs::errno_error("mkdir", scratch_path, errno);
  auto undo = [&](Status st) {
    (void)remove_tree(root->get(), scratch, scratch_path, 0);
    return st;
  };
  int fd = ::openat(root->get(), scratch.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return undo(fs::errno_error("open directory", scratch_path, errno));
  UniqueFd sub(fd);
  for (const char* d : {"cur", "new", "tmp"})
    if (::mkdirat(sub.get(), d, 0700) != 0) return undo(fs::errno_error("mkdir", fs::join(scratch_path, d), errno));
  UniqueFd marker(::openat(sub.get(), "maildirfolder", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!marker.valid()) return undo(fs::errno_error("create", fs::join(scratch_path, "maildirfolder"), errno));
  if (Status st = fs::fsync_fd(sub.get(), scratch_path); !st) return undo(st);
  const std::string target = "." + std::string(folder);
  if (::renameat2(root->get(), scratch.c_str(), root->get(), target.c_str(), RENAME_NOREPLACE) != 0) {
    int err = errno;
    if (err == EEXIST || err == ENOTEMPTY)
      return undo(Error::with_dsn("5.2.0", fmt::format("folder already exists: {}", folder)));
    return undo(fs::errno_error("rename to", *dir, err));
  }
  return fs::fsync_fd(root->get(), root_);
}

Status MaildirStore::remove(std::string_view folder) {
  NamesChanged told{names_key()};
  if (is_inbox(folder)) return Error::with_dsn("5.2.0", "INBOX cannot be deleted");
  auto dir = dir_of(folder);
  if (!dir) return dir.error();
  auto root = open_root(root_);
  if (!root) return root.error();
  const std::string name = "." + std::string(folder);
  if (!is_real_dir_at(root->get(), name)) return no_folder(folder);
  // Out of the namespace first: no session can open it while it empties,
  // and a crash leaves a scratch directory, not half a folder.
  const std::string scratch = scratch_name("deleting");
  if (::renameat(root->get(), name.c_str(), root->get(), scratch.c_str()) != 0) {
    if (errno == ENOENT) return no_folder(folder);
    return fs::errno_error("rename", *dir, errno);
  }
  if (Status st = fs::fsync_fd(root->get(), root_); !st) return st;
  if (Status st = remove_tree(root->get(), scratch, fs::join(root_, scratch), 0); !st)
    log::warn("folder {} deleted but not all of {} removed: {}", folder, scratch, st.error().detail);
  return ok_status();
}

Status MaildirStore::rename(std::string_view from, std::string_view to) {
  NamesChanged told{names_key()};
  if (is_inbox(from)) return Error::with_dsn("5.2.0", "renaming INBOX is not supported yet");
  if (is_inbox(to)) return Error::with_dsn("5.2.0", "INBOX already exists");
  auto from_dir = dir_of(from);
  if (!from_dir) return from_dir.error();
  auto to_dir = dir_of(to);
  if (!to_dir) return to_dir.error();
  const std::string src = "." + std::string(from), dst = "." + std::string(to);
  if (dst.size() > src.size() && dst.compare(0, src.size() + 1, src + ".") == 0)
    return Error::with_dsn("5.2.0", "a folder cannot be moved below itself");
  auto root = open_root(root_);
  if (!root) return root.error();
  if (!is_real_dir_at(root->get(), src)) return no_folder(from);
  auto names = entries(root->get(), root_);
  if (!names) return names.error();
  // Children first would leave them renamed if the parent's rename fails;
  // the parent first, then each child, each a single atomic rename.
  if (::renameat2(root->get(), src.c_str(), root->get(), dst.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY)
      return Error::with_dsn("5.2.0", fmt::format("folder already exists: {}", to));
    return fs::errno_error("rename", *from_dir, errno);
  }
  for (const std::string& n : *names) {
    if (n.size() <= src.size() + 1 || n.compare(0, src.size() + 1, src + ".") != 0) continue;
    std::string child = dst + n.substr(src.size());
    if (!folder_name_ok(std::string_view(child).substr(1))) continue;
    if (::renameat2(root->get(), n.c_str(), root->get(), child.c_str(), RENAME_NOREPLACE) != 0)
      log::warn("renaming folder {}: child {} not moved: {}", from, n, strerror(errno));
  }
  RenameLog::process().record(root_, from, to);  // before `told` wakes the watchers
  return fs::fsync_fd(root->get(), root_);
}

std::vector<std::pair<std::string, std::string>> MaildirStore::renames_since(uint64_t* cursor) {
  return RenameLog::process().since(root_, cursor);
}

}  // namespace tern::store
