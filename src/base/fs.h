// Durable file operations: the only way tern writes state that must survive
// a crash. The rule (RELIABILITY.md #1): data is fsynced, then renamed into
// place, then the directory that names it is fsynced, before anyone is told
// it is safe. An fsync error is final for that file (never retried and
// trusted: Linux forgets the error once it has been reported).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/fd.h"
#include "base/result.h"

namespace tern::fs {

// Errors map ENOSPC/EDQUOT/EIO/EAGAIN to temporary, the rest to permanent
// only where the caller can know it is permanent; here everything is temporary.
Error errno_error(std::string_view what, const std::string& path, int err);

// follow=false refuses a symlink (O_NOFOLLOW): for files tern itself owns.
Result<UniqueFd> open_read(const std::string& path, bool follow = false);
// Creates a new file; fails if it exists (O_EXCL, O_NOFOLLOW).
Result<UniqueFd> create_exclusive(const std::string& path, mode_t mode = 0600);
Status write_all(int fd, std::string_view data, const std::string& path_for_errors);
Status fsync_fd(int fd, const std::string& path_for_errors);
Status fsync_dir(const std::string& dir);
Status make_dirs(const std::string& path, mode_t mode = 0700);
// Configuration and tables may be symlinks (follow=true); queue files may not.
Result<std::string> read_file(const std::string& path, size_t max_bytes = 256u << 20, bool follow = true);
// The rest of an open file (named `path` in errors), at most max_bytes.
Result<std::string> read_fd(int fd, const std::string& path, size_t max_bytes = 256u << 20);
// tmp file beside path, fsync, rename over path, fsync the directory.
Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0600);
// rename that refuses to replace an existing target (renameat2 RENAME_NOREPLACE).
Status rename_noreplace(const std::string& from, const std::string& to);
Status rename_replace(const std::string& from, const std::string& to);
bool exists(const std::string& path);

// Room left on the file system holding path, as an unprivileged user sees it
// (statvfs f_bavail, f_favail). inodes_counted is false where the file
// system has no inode limit (it reports zero inodes in all).
struct FreeSpace {
  uint64_t bytes = 0;
  uint64_t inodes = 0;
  bool inodes_counted = true;
};
Result<FreeSpace> free_space(const std::string& path);
std::string dirname(const std::string& path);
std::string basename(const std::string& path);
std::string join(std::string_view a, std::string_view b);

}  // namespace tern::fs
