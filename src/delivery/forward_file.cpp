// Implementation of the checked .forward read (see forward_file.h).
#include "delivery/forward_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/child.h"
#include "base/fd.h"
#include "base/fs.h"
#include "base/strings.h"
#include "delivery/dot_forward.h"

namespace tern::delivery {

namespace {

ForwardFile ignored(const std::string& path, std::string reason) {
  return {ForwardFile::State::ignored, path, std::move(reason), {}};
}

// Owned by root or the user and not writable by group or others; a
// root-owned sticky directory (/tmp) is fine.
std::string unsafe_dir(const struct stat& st, uid_t uid) {
  if (st.st_uid != 0 && st.st_uid != uid) return "is owned by another user";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_uid == 0 && (st.st_mode & S_ISVTX)))
    return "is writable by group or others";
  return "";
}

// One candidate: nullopt when it does not exist.
Result<std::optional<ForwardFile>> try_one(const std::string& path, uid_t uid) {
  std::string dir = fs::dirname(path), base = fs::basename(path);
  char real[PATH_MAX];
  if (!::realpath(dir.c_str(), real)) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<ForwardFile>();
    if (errno == EACCES) return std::optional<ForwardFile>(ignored(path, "its directory cannot be searched"));
    return fs::errno_error("resolve", dir, errno);
  }
  // Walk the resolved directory from /, refusing any link met on the way
  // (one swapped in after realpath() makes the open fail).
  // O_PATH: a directory the user may search but not list (0711) is fine.
  UniqueFd d(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!d.valid()) return fs::errno_error("open", "/", errno);
  std::string walked = "/";
  for (auto& comp : str::split(real, '/')) {
    struct stat st;
    if (::fstat(d.get(), &st) != 0) return fs::errno_error("stat", walked, errno);
    if (auto why = unsafe_dir(st, uid); !why.empty())
      return std::optional<ForwardFile>(ignored(path, fmt::format("directory {} {}", walked, why)));
    if (comp.empty()) continue;
    UniqueFd next(::openat(d.get(), comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    walked = fs::join(walked, comp);
    if (!next.valid()) {
      if (errno == ENOENT) return std::optional<ForwardFile>();
      return std::optional<ForwardFile>(ignored(path, fmt::format("directory {} cannot be opened safely ({})",
                                                                  walked, strerror(errno))));
    }
    d = std::move(next);
  }
  struct stat dst;
  if (::fstat(d.get(), &dst) != 0) return fs::errno_error("stat", walked, errno);
  if (auto why = unsafe_dir(dst, uid); !why.empty())
    return std::optional<ForwardFile>(ignored(path, fmt::format("directory {} {}", walked, why)));
  UniqueFd f(::openat(d.get(), base.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!f.valid()) {
    int e = errno;
    if (e == ENOENT) return std::optional<ForwardFile>();
    if (e == ELOOP) return std::optional<ForwardFile>(ignored(path, "is a symbolic link"));
    if (e == EACCES) return std::optional<ForwardFile>(ignored(path, "cannot be read by its user"));
    if (e == ENXIO || e == EISDIR) return std::optional<ForwardFile>(ignored(path, "is not a regular file"));
    return fs::errno_error("open", path, e);
  }
  struct stat st;
  if (::fstat(f.get(), &st) != 0) return fs::errno_error("stat", path, errno);
  if (!S_ISREG(st.st_mode)) return std::optional<ForwardFile>(ignored(path, "is not a regular file"));
  if (st.st_uid != 0 && st.st_uid != uid) return std::optional<ForwardFile>(ignored(path, "is owned by another user"));
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return std::optional<ForwardFile>(ignored(path, "is writable by group or others"));
  if (st.st_nlink > 1) return std::optional<ForwardFile>(ignored(path, "has several hard links"));
  if (st.st_size > static_cast<off_t>(kMaxForwardFile))
    return std::optional<ForwardFile>(ignored(path, fmt::format("is larger than {} bytes", kMaxForwardFile)));
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(f.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fs::errno_error("read", path, errno);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxForwardFile)
      return std::optional<ForwardFile>(ignored(path, fmt::format("is larger than {} bytes", kMaxForwardFile)));
  }
  return std::optional<ForwardFile>(ForwardFile{ForwardFile::State::found, path, "", std::move(text)});
}

// Through the pipe of run_as_output: kind byte, path, NUL, reason or text.
std::string encode(const ForwardFile& f) {
  char k = f.state == ForwardFile::State::absent ? 'A' : f.state == ForwardFile::State::ignored ? 'I' : 'F';
  return k + f.path + '\0' + (f.state == ForwardFile::State::found ? f.text : f.reason);
}

Result<ForwardFile> decode(const std::string& b) {
  auto nul = b.find('\0');
  if (b.empty() || nul == std::string::npos) return Error::temp("malformed answer from the .forward reader");
  ForwardFile f;
  f.path = b.substr(1, nul - 1);
  std::string rest = b.substr(nul + 1);
  switch (b[0]) {
    case 'A': f.state = ForwardFile::State::absent; break;
    case 'I': f.state = ForwardFile::State::ignored; f.reason = rest; break;
    case 'F': f.state = ForwardFile::State::found; f.text = rest; break;
    default: return Error::temp("malformed answer from the .forward reader");
  }
  return f;
}

}  // namespace

Result<ForwardFile> read_forward_file(const std::vector<std::string>& candidates, uid_t uid) {
  for (auto& path : candidates) {
    auto r = try_one(path, uid);
    if (!r) return r.error();
    if (r->has_value()) return std::move(**r);
  }
  return ForwardFile{};
}

Result<ForwardFile> read_forward_as(const std::vector<std::string>& candidates, uid_t uid, gid_t gid,
                                    const std::string& name) {
  if (::geteuid() == uid) return read_forward_file(candidates, uid);
  if (::geteuid() != 0) return Error::temp(fmt::format("cannot read the .forward of {} without root privileges", name));
  auto bytes = child::run_as_output(
      {uid, gid, name},
      [&]() -> Result<std::string> {
        auto f = read_forward_file(candidates, uid);
        if (!f) return f.error();
        return encode(*f);
      },
      kMaxForwardFile + 4096 + PATH_MAX, 60);
  if (!bytes) return bytes.error();
  return decode(*bytes);
}

}  // namespace tern::delivery
