// Implementation of the durable file operations declared in fs.h.
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

namespace tern::fs {

Error errno_error(std::string_view what, const std::string& path, int err) {
  return Error::temp(fmt::format("{} {}: {}", what, path, strerror(err)));
}

Result<UniqueFd> open_read(const std::string& path, bool follow) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) return Error::perm(fmt::format("open {}: {}", path, strerror(e)));
    return errno_error("open", path, e);
  }
  return UniqueFd(fd);
}

Result<UniqueFd> create_exclusive(const std::string& path, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return errno_error("create", path, errno);
  return UniqueFd(fd);
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return ok_status();
}

Status fsync_fd(int fd, const std::string& path) {
  if (::fsync(fd) != 0) return errno_error("fsync", path, errno);
  return ok_status();
}

Status fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("open directory", dir, errno);
  UniqueFd guard(fd);
  return fsync_fd(fd, dir);
}

Status make_dirs(const std::string& path, mode_t mode) {
  if (path.empty()) return ok_status();
  std::string cur;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    cur = path.substr(0, j);
    if (!cur.empty() && ::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST)
      return errno_error("mkdir", cur, errno);
    i = j + 1;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error::perm(fmt::format("{} is not a directory", path));
  return ok_status();
}

Result<std::string> read_file(const std::string& path, size_t max_bytes, bool follow) {
  auto fd = open_read(path, follow);
  if (!fd) return fd.error();
  return read_fd(fd->get(), path, max_bytes);
}

Result<std::string> read_fd(int fd, const std::string& path, size_t max_bytes) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read", path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) return Error::perm(fmt::format("{}: larger than {} bytes", path, max_bytes));
  }
  return out;
}

Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  ::unlink(tmp.c_str());
  auto fd = create_exclusive(tmp, mode);
  if (!fd) return fd.error();
  Status st = write_all(fd->get(), data, tmp);
  if (st) st = fsync_fd(fd->get(), tmp);
  fd->reset();
  if (st) st = rename_replace(tmp, path);
  if (!st) {
    ::unlink(tmp.c_str());
    return st;
  }
  return fsync_dir(dirname(path));
}

Status rename_noreplace(const std::string& from, const std::string& to) {
  if (::syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0)
    return errno_error("rename to", to, errno);
  return ok_status();
}

Status rename_replace(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return errno_error("rename to", to, errno);
  return ok_status();
}

Result<FreeSpace> free_space(const std::string& path) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) return errno_error("statvfs", path, errno);
  return FreeSpace{static_cast<uint64_t>(st.f_bavail) * st.f_frsize, static_cast<uint64_t>(st.f_favail),
                   st.f_files != 0};
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string dirname(const std::string& path) {
  auto p = path.rfind('/');
  if (p == std::string::npos) return ".";
  if (p == 0) return "/";
  return path.substr(0, p);
}

std::string basename(const std::string& path) {
  auto p = path.rfind('/');
  return p == std::string::npos ? path : path.substr(p + 1);
}

std::string join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (!b.empty() && b.front() == '/') return std::string(b);
  std::string r(a);
  if (r.back() != '/') r += '/';
  r += b;
  return r;
}

}  // namespace tern::fs
