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

constexpr MessageFlags kStoredFlags = kFlagSeen | kFlagAnswered | kFlagDeleted | kFlagFlagged | kFlagDraft;

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

class MboxDraft final : public AppendDraft {
 public:
  explicit MboxDraft(MboxMailbox& box) : box_(box) {}
  Status write(std::string_view bytes) override {
    bytes_.append(bytes);
    return ok_status();
  }
  Result<uint32_t> commit(MessageFlags flags, const std::vector<std::string>& keywords,
                          int64_t internal_date_s) override {
    if (done_) return Error::perm("append draft already committed");
    done_ = true;
    return box_.append_with(bytes_, flags, keywords, internal_date_s);
  }

 private:
  MboxMailbox& box_;
  std::string bytes_;
  bool done_ = false;
};

}  // namespace

Result<uint32_t> MboxMailbox::append(std::string_view bytes, MessageFlags flags, int64_t internal_date_s) {
  return append_with(bytes, flags, {}, internal_date_s);
}

Result<std::unique_ptr<AppendDraft>> MboxMailbox::begin_append() {
  return std::unique_ptr<AppendDraft>(std::make_unique<MboxDraft>(*this));
}

Result<uint32_t> MboxMailbox::append_with(std::string_view bytes, MessageFlags flags,
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
  e.flags = flags & kStoredFlags;
  e.keywords = kws;
  MboxBase base{uidvalidity_, e.uid + 1, folder_kw};
  std::string prefix = mbox_meta_headers(e, index_.entries.empty() ? &base : nullptr);
  std::time_t when = internal_date_s > 0 ? static_cast<std::time_t>(internal_date_s) : std::time(nullptr);

  struct stat st;
  if (::fstat(fd_.get(), &st) != 0) return fs::errno_error("fstat", path_, errno);
  auto sep = separator_before(fd_.get(), st.st_size, path_);
  if (!sep) return sep.error();
  std::string entry = *sep + mbox_entry("MAILER-DAEMON", when, prefix, bytes);
  uint64_t before = static_cast<uint64_t>(st.st_size);
  if (Status s = lock->record_append(st.st_dev, st.st_ino, before, before + entry.size()); !s) return s.error();
  Status s = ok_status();
  for (uint64_t done = 0; s && done < entry.size();) {
    ssize_t n = ::pwrite(fd_.get(), entry.data() + done, entry.size() - done, static_cast<off_t>(before + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = fs::errno_error("write", path_, errno);
    else done += static_cast<uint64_t>(n);
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
