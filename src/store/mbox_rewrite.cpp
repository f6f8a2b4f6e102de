// The mbox redo journal (see mbox_rewrite.h).
#include "store/mbox_rewrite.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <vector>

#include "base/fd.h"
#include "base/fs.h"
#include "base/log.h"

namespace tern::store {
namespace {

constexpr std::string_view kMagic = "tern-mbox-rewrite 1";
constexpr size_t kHeaderBytes = 256;  // the header, padded; the new bytes follow
constexpr size_t kCopyChunk = 256 * 1024;

struct Header {
  uint64_t dev = 0, ino = 0, old_size = 0, from = 0, len = 0;
};

std::string format_header(const Header& h) {
  std::string s = fmt::format("{} dev={} ino={} old={} from={} len={}", kMagic, h.dev, h.ino, h.old_size, h.from, h.len);
  s.resize(kHeaderBytes - 1, ' ');
  return s + "\n";
}

bool parse_header(std::string_view s, Header& h) {
  if (s.size() != kHeaderBytes || s.back() != '\n' || !s.starts_with(kMagic)) return false;
  s.remove_prefix(kMagic.size());
  uint64_t* fields[] = {&h.dev, &h.ino, &h.old_size, &h.from, &h.len};
  const char* names[] = {" dev=", " ino=", " old=", " from=", " len="};
  for (int i = 0; i < 5; ++i) {
    std::string_view n = names[i];
    if (!s.starts_with(n)) return false;
    s.remove_prefix(n.size());
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *fields[i]);
    if (ec != std::errc() || p == s.data()) return false;
    s.remove_prefix(static_cast<size_t>(p - s.data()));
  }
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if (s[i] != ' ') return false;
  return true;
}

Status pwrite_all(int fd, std::string_view data, uint64_t off, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fs::errno_error("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
    off += static_cast<uint64_t>(n);
  }
  return ok_status();
}

// Clears O_APPEND on a delivery's descriptor while the journal is copied
// (pwrite on an O_APPEND file appends, whatever the offset), then sets it
// back.
class NoAppend {
 public:
  explicit NoAppend(int fd) : fd_(fd), flags_(::fcntl(fd, F_GETFL)) {
    if (flags_ >= 0 && (flags_ & O_APPEND)) ::fcntl(fd_, F_SETFL, flags_ & ~O_APPEND);
  }
  ~NoAppend() {
    if (flags_ >= 0 && (flags_ & O_APPEND)) ::fcntl(fd_, F_SETFL, flags_);
  }
  bool ok() const { return flags_ >= 0; }

 private:
  int fd_, flags_;
};

// Copies the journal's new bytes over the mailbox and makes it durable.
Status apply(int journal, int fd, const std::string& path, const Header& h) {
  NoAppend no_append(fd);
  if (!no_append.ok()) return fs::errno_error("fcntl", path, errno);
  std::vector<char> buf(kCopyChunk);
  for (uint64_t done = 0; done < h.len;) {
    ssize_t n = ::pread(journal, buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), h.len - done)),
                        static_cast<off_t>(kHeaderBytes + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::temp(fmt::format("{}: the rewrite journal is short", mbox_journal_path(path)));
    if (Status st = pwrite_all(fd, std::string_view(buf.data(), static_cast<size_t>(n)), h.from + done, path); !st)
      return st;
    done += static_cast<uint64_t>(n);
  }
  if (::ftruncate(fd, static_cast<off_t>(h.from + h.len)) != 0) return fs::errno_error("truncate", path, errno);
  return fs::fsync_fd(fd, path);
}

Status remove_journal(const std::string& jpath) {
  if (::unlink(jpath.c_str()) != 0 && errno != ENOENT) return fs::errno_error("unlink", jpath, errno);
  return fs::fsync_dir(fs::dirname(jpath));
}

}  // namespace

std::string mbox_journal_path(const std::string& mailbox) { return mailbox + ".tern-rewrite"; }

Status mbox_rewrite_tail(const std::string& path, int fd, uint64_t from,
                         const std::function<Status(const MboxSink&)>& produce, bool apply_now) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return fs::errno_error("fstat", path, errno);
  const std::string jpath = mbox_journal_path(path);
  UniqueFd j(::open(jpath.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!j.valid()) {
    if (errno == EACCES)
      return Error::temp(fmt::format("cannot change {}: its directory is not writable (the rewrite journal {} goes there)",
                                     path, jpath));
    return fs::errno_error("create", jpath, errno);
  }
  Header h;
  h.dev = st.st_dev;
  h.ino = st.st_ino;
  h.old_size = static_cast<uint64_t>(st.st_size);
  h.from = from;
  uint64_t at = kHeaderBytes;
  Status st_write = produce([&](std::string_view bytes) -> Status {
    Status s = pwrite_all(j.get(), bytes, at, jpath);
    at += bytes.size();
    return s;
  });
  h.len = at - kHeaderBytes;
  // The body durable before the header that makes it count.
  if (st_write && ::fdatasync(j.get()) != 0) st_write = fs::errno_error("fsync", jpath, errno);
  if (st_write) st_write = pwrite_all(j.get(), format_header(h), 0, jpath);
  if (st_write && ::fdatasync(j.get()) != 0) st_write = fs::errno_error("fsync", jpath, errno);
  if (st_write) st_write = fs::fsync_dir(fs::dirname(jpath));
  if (!st_write) {
    (void)::unlink(jpath.c_str());  // the mailbox is untouched
    return st_write;
  }
  if (!apply_now) return ok_status();
  if (Status s = apply(j.get(), fd, path, h); !s) {
    log::error("mailbox {}: rewrite failed ({}); the journal {} stays and is redone at the next lock", path,
               s.error().detail, jpath);
    return s;
  }
  return remove_journal(jpath);
}

Status mbox_recover_rewrite(const std::string& path, int fd) {
  const std::string jpath = mbox_journal_path(path);
  UniqueFd j(::open(jpath.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!j.valid()) {
    if (errno == ENOENT || errno == EACCES) return ok_status();  // none, or none we could have written
    return fs::errno_error("open", jpath, errno);
  }
  struct stat js, ms;
  if (::fstat(j.get(), &js) != 0 || ::fstat(fd, &ms) != 0) return fs::errno_error("fstat", jpath, errno);
  if (!S_ISREG(js.st_mode) || js.st_nlink != 1 ||
      (js.st_uid != ::geteuid() && js.st_uid != 0 && js.st_uid != ms.st_uid)) {
    log::error("mailbox {}: {} is not a rewrite journal tern can trust; mailbox left alone", path, jpath);
    return Error::temp(fmt::format("mailbox {}: untrusted {} present", path, jpath));
  }
  std::string head(kHeaderBytes, '\0');
  ssize_t n = ::pread(j.get(), head.data(), head.size(), 0);
  Header h;
  if (n != static_cast<ssize_t>(kHeaderBytes) || !parse_header(head, h) ||
      static_cast<uint64_t>(js.st_size) != kHeaderBytes + h.len) {
    // Never completed: the mailbox was not touched yet.
    log::warn("mailbox {}: discarding an unfinished rewrite journal", path);
    return remove_journal(jpath);
  }
  uint64_t size = static_cast<uint64_t>(ms.st_size), new_size = h.from + h.len;
  if (h.dev != static_cast<uint64_t>(ms.st_dev) || h.ino != static_cast<uint64_t>(ms.st_ino) ||
      size < std::min(h.old_size, new_size) || size > std::max(h.old_size, new_size) || h.from > h.old_size) {
    log::error("mailbox {}: the rewrite journal {} does not fit the file any more ({} bytes, expected {}..{}); "
               "left for an administrator",
               path, jpath, size, std::min(h.old_size, new_size), std::max(h.old_size, new_size));
    return Error::temp(fmt::format("mailbox {}: a rewrite journal that does not fit is present", path));
  }
  if (Status s = apply(j.get(), fd, path, h); !s) return s;
  log::warn("mailbox {}: completed a rewrite a process that died left", path);
  return remove_journal(jpath);
}

}  // namespace tern::store
