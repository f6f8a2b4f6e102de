// MboxMailbox (see mbox_mailbox.h): opening and checking the file, the
// index of its messages, UID assignment, the rewrite of the tail, and the
// snapshot that refresh() compares. Appends are in mbox_mailbox_append.cpp.
#include "store/mbox_mailbox.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "store/keywords.h"
#include "store/mbox_lock.h"
#include "store/mbox_rewrite.h"
#include "store/stamp_settle.h"

namespace tern::store {
namespace {

constexpr auto kLockWait = std::chrono::seconds(10);
constexpr size_t kCopyChunk = 64 * 1024;

Error gone(const std::string& path, uint32_t uid) {
  return Error::with_dsn("5.2.0", fmt::format("{}: no message with UID {}", path, uid));
}

bool has_keyword(const std::vector<std::string>& list, std::string_view k) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& s) { return str::iequals(s, k); });
}

}  // namespace

Result<std::unique_ptr<MboxMailbox>> MboxMailbox::open(const std::string& path, std::string name) {
  std::unique_ptr<MboxMailbox> box(new MboxMailbox());
  box->path_ = path;
  box->name_ = std::move(name);
  box->uidvalidity_ = static_cast<uint32_t>(std::time(nullptr));  // until the file names one
  if (Status st = box->ensure_open(false); !st) return st.error();
  // An empty file holds no UIDVALIDITY: sessions opening it agree on its
  // change time (the truncation that emptied it) rather than each on its own.
  struct stat st;
  if (box->fd_.valid() && ::fstat(box->fd_.get(), &st) == 0 && st.st_size == 0 && st.st_ctime > 0)
    box->uidvalidity_ = static_cast<uint32_t>(st.st_ctime);
  if (auto r = box->refresh(); !r) return r.error();
  box->uidvalidity_changed_ = false;
  return box;
}

Status MboxMailbox::ensure_open(bool create) {
  struct stat lst;
  bool exists = ::lstat(path_.c_str(), &lst) == 0;
  if (!exists && errno != ENOENT) return fs::errno_error("lstat", path_, errno);
  if (fd_.valid()) {
    struct stat fst;
    if (exists && ::fstat(fd_.get(), &fst) == 0 && fst.st_ino == lst.st_ino && fst.st_dev == lst.st_dev)
      return ok_status();
    fd_.reset();  // removed or replaced: read it anew
    parsed_.reset();
  }
  if (!exists && !create) return ok_status();  // an empty folder
  int flags = O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (exists ? 0 : O_CREAT | O_EXCL);
  UniqueFd fd(::open(path_.c_str(), flags, 0600));
  if (!fd.valid()) {
    if (errno == EACCES || errno == EPERM)
      return Error::temp(fmt::format("mbox {}: permission denied (the IMAP/POP3 process needs to read and write it, "
                                     "e.g. through group mail)",
                                     path_));
    if (errno == ELOOP) return Error::temp(fmt::format("mbox {} is a symlink; refused", path_));
    if (errno == EEXIST || errno == ENOENT) return Error::temp(fmt::format("mbox {} changed while opened", path_));
    return fs::errno_error("open", path_, errno);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return fs::errno_error("fstat", path_, errno);
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
    return Error::temp(fmt::format("mbox {} is not a regular file with one link; refused", path_));
  if (!exists)
    if (Status s = fs::fsync_dir(fs::dirname(path_)); !s) return s;
  fd_ = std::move(fd);
  parsed_.reset();
  return ok_status();
}

Result<MboxMailbox::Stamp> MboxMailbox::stamp() const {
  Stamp s;
  if (!fd_.valid()) {
    s.size = 0;
    return s;
  }
  struct stat st;
  if (::fstat(fd_.get(), &st) != 0) return fs::errno_error("fstat", path_, errno);
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime_ns = mtime_ns_of(st);
  return s;
}

Result<MboxLock> MboxMailbox::lock_write() {
  if (Status st = ensure_open(false); !st) return st.error();
  if (!fd_.valid()) return Error::temp(fmt::format("mbox {} does not exist", path_));
  return MboxLock::acquire(path_, fd_.get(), std::chrono::steady_clock::now() + kLockWait);
}

Status MboxMailbox::parse_if_changed() {
  auto s = stamp();
  if (!s) return s.error();
  if (parsed_ && *parsed_ == *s) return ok_status();
  if (!fd_.valid()) {
    index_ = MboxIndex{};
  } else {
    int fd = fd_.get();
    auto idx = parse_mbox(static_cast<uint64_t>(s->size), [fd](uint64_t off, char* buf, size_t n) -> ssize_t {
      for (;;) {
        ssize_t r = ::pread(fd, buf, n, static_cast<off_t>(off));
        if (r >= 0 || errno != EINTR) return r;
      }
    });
    if (!idx) {
      log::warn("mbox {}: {}", path_, idx.error().detail);
      return Error::temp(fmt::format("mbox {}: {}", path_, idx.error().detail));
    }
    index_ = std::move(*idx);
  }
  index_uids();
  parsed_ = *s;
  mtime_s_ = s->mtime_ns / 1000000000;
  return ok_status();
}

Status MboxMailbox::sync_locked() {
  if (Status st = parse_if_changed(); !st) return st;
  auto& es = index_.entries;
  if (es.empty()) return ok_status();
  bool renumber_all = false;
  if (index_.has_base) {
    if (index_.base.uidvalidity != uidvalidity_) uidnext_ = 1;  // another folder as far as UIDs go
    uidvalidity_ = index_.base.uidvalidity;
    uidnext_ = std::max(uidnext_, index_.base.uidnext);
  } else {
    // No X-IMAPbase: a new folder, or one whose base was lost (then every
    // UID in it is void, as Dovecot rules).
    renumber_all = true;
    if (!messages_.empty()) uidvalidity_ = std::max(static_cast<uint32_t>(std::time(nullptr)), uidvalidity_ + 1);
    uidnext_ = messages_.empty() ? std::max<uint32_t>(uidnext_, 1) : 1;
  }
  size_t first_fresh = es.size();
  for (size_t i = 0; i < es.size(); ++i) {
    if (renumber_all) es[i].uid = 0;
    if (es[i].uid != 0) uidnext_ = std::max(uidnext_, es[i].uid + 1);
  }
  // In file order, so UIDs ascend through the file (as the parser wants
  // them): a numbered message after a fresh one is renumbered too.
  uint32_t last = 0;
  for (size_t i = 0; i < es.size(); ++i) {
    if (es[i].uid == 0 || es[i].uid <= last) {
      if (uidnext_ > kMboxMaxUid) return Error::temp(fmt::format("mbox {}: UIDs exhausted", path_));
      if (first_fresh == es.size()) first_fresh = i;
      es[i].uid = uidnext_++;
    }
    last = es[i].uid;
  }
  index_uids();
  if (first_fresh == es.size() && index_.has_base) return ok_status();
  return rewrite_from(index_.has_base ? es[first_fresh].from_off : 0, {});
}

Status MboxMailbox::rewrite_from(uint64_t from, const std::vector<uint32_t>& drop) {
  int fd = fd_.get();
  MboxRead read = [fd](uint64_t off, char* buf, size_t n) -> ssize_t {
    for (;;) {
      ssize_t r = ::pread(fd, buf, n, static_cast<off_t>(off));
      if (r >= 0 || errno != EINTR) return r;
    }
  };
  MboxBase base{uidvalidity_, uidnext_, folder_keywords()};
  auto produce = [&](const MboxSink& sink) -> Status {
    std::string chunk(kCopyChunk, '\0');
    auto copy = [&](uint64_t a, uint64_t b) -> Status {
      while (a < b) {
        ssize_t n = read(a, chunk.data(), static_cast<size_t>(std::min<uint64_t>(chunk.size(), b - a)));
        if (n <= 0) return Error::temp(fmt::format("mbox {}: read failed", path_));
        if (Status st = sink(std::string_view(chunk.data(), static_cast<size_t>(n))); !st) return st;
        a += static_cast<uint64_t>(n);
      }
      return ok_status();
    };
    bool first_kept = true;
    for (const MboxEntry& e : index_.entries) {
      bool dropped = std::binary_search(drop.begin(), drop.end(), e.uid);
      if (e.from_off < from) {
        if (!dropped) first_kept = false;
        continue;
      }
      if (dropped) continue;
      if (Status st = copy(e.from_off, e.header_off); !st) return st;
      if (Status st = mbox_filter_header(e.header_off, e.body_off, read, sink); !st) return st;
      if (Status st = sink(mbox_meta_headers(e, first_kept ? &base : nullptr)); !st) return st;
      first_kept = false;
      if (Status st = copy(e.body_off, e.next_off); !st) return st;
    }
    return ok_status();
  };
  Status st = mbox_rewrite_tail(path_, fd, from, produce);
  parsed_.reset();
  if (!st) return st;
  ChangeHub::process().changed(path_);
  return parse_if_changed();
}

void MboxMailbox::index_uids() {
  by_uid_.clear();
  by_uid_.reserve(index_.entries.size());
  for (size_t i = 0; i < index_.entries.size(); ++i)
    if (index_.entries[i].uid != 0) by_uid_.emplace_back(index_.entries[i].uid, i);
  std::sort(by_uid_.begin(), by_uid_.end());
}

const MboxEntry* MboxMailbox::entry(uint32_t uid) const {
  auto it = std::lower_bound(by_uid_.begin(), by_uid_.end(), std::make_pair(uid, size_t{0}));
  return it != by_uid_.end() && it->first == uid ? &index_.entries[it->second] : nullptr;
}

MboxEntry* MboxMailbox::entry_mut(uint32_t uid) { return const_cast<MboxEntry*>(entry(uid)); }

const MessageInfo* MboxMailbox::find(uint32_t uid) const {
  auto it = std::lower_bound(messages_.begin(), messages_.end(), uid,
                             [](const MessageInfo& m, uint32_t u) { return m.uid < u; });
  return it != messages_.end() && it->uid == uid ? &*it : nullptr;
}

MessageInfo* MboxMailbox::find_mut(uint32_t uid) { return const_cast<MessageInfo*>(find(uid)); }

MessageInfo MboxMailbox::info_of(const MboxEntry& e) const {
  MessageInfo m;
  m.uid = e.uid;
  m.size_bytes = e.size;
  m.vsize_bytes = e.crlf_size;
  m.flags = e.flags;
  m.keywords = e.keywords;
  m.internal_date_s = e.internal_date_s ? e.internal_date_s : mtime_s_;
  return m;
}

std::vector<std::string> MboxMailbox::folder_keywords() const {
  std::vector<std::string> out = index_.base.keywords;
  for (const auto& e : index_.entries)
    for (const auto& k : e.keywords)
      if (out.size() < kMaxKeywords && !has_keyword(out, k)) out.push_back(k);
  return out;
}

std::vector<std::string> MboxMailbox::keywords() const { return folder_keywords(); }

Result<RefreshChanges> MboxMailbox::refresh() {
  const uint32_t old_validity = uidvalidity_;
  if (Status st = ensure_open(false); !st) return st.error();
  auto s = stamp();
  if (!s) return s.error();
  bool need = !parsed_ || *parsed_ != *s;
  if (!need && !index_.entries.empty()) need = !index_.has_base || by_uid_.size() != index_.entries.size();
  if (need && fd_.valid()) {
    auto lock = lock_write();
    if (!lock) return lock.error();
    if (Status st = sync_locked(); !st) return st.error();
  } else if (need) {
    index_ = MboxIndex{};
    index_uids();
    parsed_ = *s;
  }
  std::vector<MessageInfo> now;
  now.reserve(by_uid_.size());
  for (const auto& [uid, i] : by_uid_) now.push_back(info_of(index_.entries[i]));
  RefreshChanges ch;
  if (uidvalidity_ != old_validity && !messages_.empty()) {
    uidvalidity_changed_ = true;
    for (const auto& m : messages_) ch.vanished.push_back(m.uid);
    messages_.clear();
  }
  size_t i = 0, j = 0;
  while (i < messages_.size() || j < now.size()) {
    if (j == now.size() || (i < messages_.size() && messages_[i].uid < now[j].uid)) {
      ch.vanished.push_back(messages_[i++].uid);
    } else if (i == messages_.size() || now[j].uid < messages_[i].uid) {
      ch.appeared.push_back(now[j++].uid);
    } else {
      if (messages_[i].flags != now[j].flags || messages_[i].keywords != now[j].keywords)
        ch.flags_changed.push_back(now[j].uid);
      ++i;
      ++j;
    }
  }
  messages_ = std::move(now);
  if (!ch.empty()) ++modseq_;
  return ch;
}

Result<std::string> MboxMailbox::read_range(uint64_t from, uint64_t to) {
  std::string out(static_cast<size_t>(to - from), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_.get(), out.data() + done, out.size() - done, static_cast<off_t>(from + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::temp(fmt::format("mbox {}: read failed", path_));
    done += static_cast<size_t>(n);
  }
  return out;
}

Result<std::string> MboxMailbox::read(uint32_t uid) {
  if (!find(uid)) return gone(path_, uid);
  if (Status st = ensure_open(false); !st) return st.error();
  if (!fd_.valid()) return gone(path_, uid);
  auto lock = MboxLock::acquire_read(path_, fd_.get(), std::chrono::steady_clock::now() + kLockWait);
  if (!lock) return lock.error();
  if (Status st = parse_if_changed(); !st) return st.error();
  const MboxEntry* e = entry(uid);
  if (!e) return gone(path_, uid);
  auto raw = read_range(e->header_off, e->end_off);
  if (!raw) return raw.error();
  return mbox_present(*raw);
}

Result<UniqueFd> MboxMailbox::open_message(uint32_t uid) {
  auto bytes = read(uid);
  if (!bytes) return bytes.error();
  // The message as shown, in a file of its own that stays readable
  // whatever happens to the mbox.
  UniqueFd fd(::memfd_create("tern-mbox-message", MFD_CLOEXEC));
  if (!fd.valid()) return fs::errno_error("memfd_create", path_, errno);
  if (Status st = fs::write_all(fd.get(), *bytes, path_); !st) return st.error();
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) return fs::errno_error("lseek", path_, errno);
  return fd;
}

Result<uint64_t> MboxMailbox::crlf_size(uint32_t uid) {
  const MessageInfo* m = find(uid);
  if (!m) return gone(path_, uid);
  return m->vsize_bytes;
}

Result<MessageFlags> MboxMailbox::set_flags(uint32_t uid, MessageFlags add, MessageFlags remove) {
  auto m = store_flags(uid, add, remove, {}, {}, kAnyModseq);
  if (!m) return m.error();
  return (*m)->flags;
}

Result<std::vector<std::string>> MboxMailbox::set_keywords(uint32_t uid, const std::vector<std::string>& add,
                                                           const std::vector<std::string>& remove) {
  auto m = store_flags(uid, 0, 0, add, remove, kAnyModseq);
  if (!m) return m.error();
  return (*m)->keywords;
}

// Flags and keywords in one rewrite of the file from the message on. An
// mbox keeps no mod-sequences (enable_modseqs() is false), so IMAP refuses
// UNCHANGEDSINCE before it gets here; unchanged_since is not looked at.
Result<const MessageInfo*> MboxMailbox::store_flags(uint32_t uid, MessageFlags add, MessageFlags remove,
                                                    const std::vector<std::string>& kw_add,
                                                    const std::vector<std::string>& kw_remove, uint64_t) {
  for (const auto& k : kw_add)
    if (!keyword_ok(k)) return Error::with_dsn("5.5.4", fmt::format("not a keyword: {}", str::printable(k)));
  if (!find(uid)) return gone(path_, uid);
  auto lock = lock_write();
  if (!lock) return lock.error();
  if (Status st = sync_locked(); !st) return st.error();
  MboxEntry* e = entry_mut(uid);
  if (!e) return gone(path_, uid);
  const MessageFlags flags = ((e->flags | add) & ~remove) & kMboxStoredFlags;
  std::vector<std::string> keywords = e->keywords;
  if (!kw_add.empty() || !kw_remove.empty()) {
    std::vector<std::string> folder = folder_keywords();
    keywords.clear();
    for (const auto& k : e->keywords)
      if (!has_keyword(kw_remove, k) || has_keyword(kw_add, k)) keywords.push_back(k);
    for (const auto& k : kw_add) {
      if (has_keyword(keywords, k) || has_keyword(kw_remove, k)) continue;
      if (!has_keyword(folder, k)) {
        if (folder.size() >= kMaxKeywords)
          return Error::with_dsn("5.5.4",
                                 fmt::format("{}: no room for another keyword (at most {})", path_, kMaxKeywords));
        folder.push_back(k);
      }
      keywords.push_back(k);
    }
  }
  if (flags != e->flags || keywords != e->keywords) {
    e->flags = flags;
    e->keywords = keywords;
    if (Status st = rewrite_from(e->from_off, {}); !st) return st.error();
    ++modseq_;
  }
  MessageInfo* m = find_mut(uid);
  if (!m) return gone(path_, uid);
  m->flags = flags;
  m->keywords = std::move(keywords);
  return m;
}

Status MboxMailbox::expunge_all(const std::vector<uint32_t>& uids_in) {
  std::vector<uint32_t> uids = uids_in;
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  uids.erase(std::remove(uids.begin(), uids.end(), 0u), uids.end());
  if (uids.empty() || !fd_.valid()) return ok_status();
  auto lock = lock_write();
  if (!lock) return lock.error();
  if (Status st = sync_locked(); !st) return st;
  uint64_t from = UINT64_MAX;
  uint32_t max_uid = 0, max_dropped = 0;
  for (const auto& e : index_.entries) {
    max_uid = std::max(max_uid, e.uid);
    if (std::binary_search(uids.begin(), uids.end(), e.uid)) {
      from = std::min(from, e.from_off);
      max_dropped = std::max(max_dropped, e.uid);
    }
  }
  if (from != UINT64_MAX) {
    // The UID high-water mark must survive the message that held it.
    if (max_dropped == max_uid && index_.base.uidnext <= max_dropped) from = 0;
    if (Status st = rewrite_from(from, uids); !st) return st;
    ++modseq_;
  }
  messages_.erase(std::remove_if(messages_.begin(), messages_.end(),
                                 [&](const MessageInfo& m) { return std::binary_search(uids.begin(), uids.end(), m.uid); }),
                  messages_.end());
  return ok_status();
}

std::string MboxMailbox::message_key(uint32_t uid) const {
  const MessageInfo* m = find(uid);
  if (!m) return {};
  return fmt::format("mbox\n{}\n{}\n{}\n{}", path_, uidvalidity_, uid, m->size_bytes);
}

}  // namespace tern::store
