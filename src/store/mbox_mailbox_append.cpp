// MboxMailbox's appends (see mbox_mailbox.h): one entry in the format
// mbox_deliver writes (mbox_entry), with the state headers first in its
// header, appended under the locks with an append record in the dot-lock
// (so a crash mid-append is truncated away by the next taker of the lock)
// and fsynced before the UID is returned. An AppendDraft collects the
// bytes in memory (mbox_entry takes the message whole); COPY goes through
// the destination's draft.
#include <errno.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "store/keywords.h"
#include "store/mbox.h"
#include "store/mbox_lock.h"
#include "store/mbox_mailbox.h"

namespace tern::store {
namespace {


// What must come before a new entry so that its From_ line follows a blank
// line: nothing at the start of the file or after "\n\n".
Result<std::string> separator_before(int fd, off_t size, const std::string& path) {
  if (size == 0) return std::string();
  char tail[2] = {'\n', '\n'};
  off_t at = size >= 2 ? size - 2 : 0;
  ssize_t n = ::pread(fd, tail + (size >= 2 ? 0 : 1), size >= 2 ? 2 : 1, at);
  if (n < 0) return fs::errno_error("read", path, errno);
  if (tail[1] != '\n') return std::string("\n\n");
  if (tail[0] != '\n') return std::string("\n");
  return std::string();
}

// An unnamed file for a draft's bytes, in the system's temporary
// directory (the mail spool directory is not the user's to write in).
Result<UniqueFd> spool_file() {
  const char* env = ::getenv("TMPDIR");
  std::string dir = env && *env ? env : "/tmp";
  UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (fd.valid()) return fd;
  std::string name = fs::join(dir, "tern-mbox-append.XXXXXX");
  fd.reset(::mkostemp(name.data(), O_CLOEXEC));
  if (!fd.valid()) return fs::errno_error("create a spool file in", dir, errno);
  ::unlink(name.c_str());
  return fd;
}

// A message appended in pieces: quoted for the mbox as it comes and
// written to a spool file, so that a large literal is never held whole in
// memory; copied into the mbox under its locks at commit.
class MboxDraft final : public AppendDraft {
 public:
  MboxDraft(MboxMailbox& box, UniqueFd spool) : box_(box), spool_(std::move(spool)) {}
  Status write(std::string_view bytes) override {
    quoter_.feed(bytes, buf_);
    return buf_.size() >= kFlushBytes ? flush() : ok_status();
  }
  Result<uint32_t> commit(MessageFlags flags, const std::vector<std::string>& keywords,
                          int64_t internal_date_s) override {
    if (done_) return Error::perm("append draft already committed");
    done_ = true;
    quoter_.finish(buf_);
    if (Status st = flush(); !st) return st.error();
    return box_.append_spooled(spool_.get(), size_, flags, keywords, internal_date_s);
  }

 private:
  static constexpr size_t kFlushBytes = 64 * 1024;
  Status flush() {
    if (Status st = fs::write_all(spool_.get(), buf_, "mbox append spool file"); !st) return st;
    size_ += buf_.size();
    buf_.clear();
    return ok_status();
  }

  MboxMailbox& box_;
  UniqueFd spool_;
  MboxQuoter quoter_;
  std::string buf_;
  uint64_t size_ = 0;
  bool done_ = false;
};

}  // namespace

Result<uint32_t> MboxMailbox::append(std::string_view bytes, MessageFlags flags, int64_t internal_date_s) {
  return append_with(bytes, flags, {}, internal_date_s);
}

Result<std::unique_ptr<AppendDraft>> MboxMailbox::begin_append() {
  auto spool = spool_file();
  if (!spool) return spool.error();
  return std::unique_ptr<AppendDraft>(std::make_unique<MboxDraft>(*this, std::move(*spool)));
}

Result<uint32_t> MboxMailbox::append_with(std::string_view bytes, MessageFlags flags,
                                          const std::vector<std::string>& keywords, int64_t internal_date_s) {
  std::string body;
  MboxQuoter q;
  q.feed(bytes, body);
  q.finish(body);
  return append_entry(body, -1, body.size(), flags, keywords, internal_date_s);
}

Result<uint32_t> MboxMailbox::append_spooled(int spool_fd, uint64_t size, MessageFlags flags,
                                             const std::vector<std::string>& keywords, int64_t internal_date_s) {
  return append_entry({}, spool_fd, size, flags, keywords, internal_date_s);
}

// The entry's head (separator, From_ line, state headers) is made here
// under the locks, since it carries the UID; its body, the message quoted
// and ended, is given in memory or as a spool file of body_size bytes.
Result<uint32_t> MboxMailbox::append_entry(std::string_view body, int body_fd, uint64_t body_size, MessageFlags flags,
                                           const std::vector<std::string>& keywords_in, int64_t internal_date_s) {
  std::vector<std::string> folder_kw = folder_keywords();
  std::vector<std::string> kws;
  for (const auto& k : keywords_in) {
    if (!keyword_ok(k)) return Error::with_dsn("5.5.4", fmt::format("not a keyword: {}", str::printable(k)));
    bool known = std::any_of(folder_kw.begin(), folder_kw.end(), [&](const std::string& s) { return str::iequals(s, k); });
    if (!known) {
      if (folder_kw.size() >= kMaxKeywords)
        return Error::with_dsn("5.5.4", fmt::format("{}: no room for another keyword (at most {})", path_, kMaxKeywords));
      folder_kw.push_back(k);
    }
    kws.push_back(k);
  }
  if (Status st = ensure_open(true); !st) return st.error();
  auto lock = lock_write();
  if (!lock) return lock.error();
  if (Status st = sync_locked(); !st) return st.error();
  if (uidnext_ > kMboxMaxUid) return Error::temp(fmt::format("mbox {}: UIDs exhausted", path_));
  MboxEntry e;
  e.uid = uidnext_;
  e.flags = flags & kMboxStoredFlags;
  e.keywords = kws;
  MboxBase base{uidvalidity_, e.uid + 1, folder_kw};
  std::string prefix = mbox_meta_headers(e, index_.entries.empty() ? &base : nullptr);
  std::time_t when = internal_date_s > 0 ? static_cast<std::time_t>(internal_date_s) : std::time(nullptr);

  struct stat st;
  if (::fstat(fd_.get(), &st) != 0) return fs::errno_error("fstat", path_, errno);
  auto sep = separator_before(fd_.get(), st.st_size, path_);
  if (!sep) return sep.error();
  std::string head = *sep + mbox_from_line("MAILER-DAEMON", when);
  MboxQuoter quote_prefix;  // whole header lines: nothing held back
  quote_prefix.feed(prefix, head);
  uint64_t before = static_cast<uint64_t>(st.st_size);
  if (Status s = lock->record_append(st.st_dev, st.st_ino, before, before + head.size() + body_size); !s)
    return s.error();
  uint64_t at = before;
  auto put = [&](std::string_view bytes) -> Status {
    for (uint64_t done = 0; done < bytes.size();) {
      ssize_t n = ::pwrite(fd_.get(), bytes.data() + done, bytes.size() - done, static_cast<off_t>(at + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fs::errno_error("write", path_, errno);
      done += static_cast<uint64_t>(n);
    }
    at += bytes.size();
    return ok_status();
  };
  Status s = put(head);
  if (s && body_fd < 0) s = put(body);
  std::string chunk;
  for (uint64_t done = 0; s && body_fd >= 0 && done < body_size;) {
    chunk.resize(static_cast<size_t>(std::min<uint64_t>(body_size - done, 256 * 1024)));
    ssize_t n = ::pread(body_fd, chunk.data(), chunk.size(), static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      s = n < 0 ? fs::errno_error("read", "mbox append spool file", errno)
                : Error::temp("mbox append spool file: shorter than written");
      break;
    }
    chunk.resize(static_cast<size_t>(n));
    s = put(chunk);
    done += static_cast<uint64_t>(n);
  }
  if (s) s = fs::fsync_fd(fd_.get(), path_);
  parsed_.reset();
  if (!s) {
    if (::ftruncate(fd_.get(), static_cast<off_t>(before)) != 0 || ::fsync(fd_.get()) != 0)
      log::error("mbox {}: could not remove a failed append; the next lock taker truncates it", path_);
    return s.error();
  }
  uidnext_ = e.uid + 1;
  ++modseq_;
  ChangeHub::process().changed(path_);
  return e.uid;
}

Result<uint32_t> MboxMailbox::copy_to(uint32_t uid, Mailbox& dest) {
  const MessageInfo* m = find(uid);
  if (!m) return Error::with_dsn("5.2.0", fmt::format("{}: no message with UID {}", path_, uid));
  MessageFlags flags = m->flags;
  std::vector<std::string> kws = m->keywords;
  int64_t date = m->internal_date_s;
  auto bytes = read(uid);
  if (!bytes) return bytes.error();
  auto draft = dest.begin_append();
  if (!draft) return draft.error();
  if (Status st = (*draft)->write(*bytes); !st) return st.error();
  return (*draft)->commit(flags, kws, date);
}

}  // namespace tern::store
