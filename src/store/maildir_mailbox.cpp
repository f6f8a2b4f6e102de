// MaildirMailbox (see maildir_mailbox.h): opening, the scan of new/ and
// cur/ against dovecot-uidlist, read, expunge, append and copy over one
// Maildir folder; how a refresh turns a scan (or another mailbox's listing)
// into the view is in maildir_refresh.cpp, its keywords in
// maildir_keywords.cpp, its flag changes in maildir_flags.cpp, its
// mod-sequences in maildir_modseq.cpp.
#include "store/maildir_mailbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_set>

#include "base/deferred_close.h"
#include "base/dir_entries.h"
#include "base/fs.h"
#include "base/log.h"
#include "store/change_hub.h"
#include "store/mail_fsync.h"
#include "store/maildir_name.h"
#include "store/quota.h"
#include "store/stamp_settle.h"
#include "store/uidlist_file.h"

namespace tern::store {
namespace {

constexpr time_t kTmpMaxAgeSeconds = 36 * 3600;

std::string without_trailing_slash(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

Result<UniqueFd> open_dir(int at, const std::string& name, const std::string& path) {
  int fd = ::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) return UniqueFd(fd);
  int err = errno;
  if (err == ENOENT || err == ENOTDIR || err == ELOOP)
    return Error::with_dsn("5.2.0", fmt::format("{}: no such mail folder (or not a real directory)", path));
  return fs::errno_error("open directory", path, err);
}

// One listing of a Maildir directory: the entries that may be messages,
// valid names of regular files (symlinks and anything else skipped). Where
// the file system does not give the type, a name gone by the time it is
// looked at is kept: it was there when listed (renamed since, most likely),
// and whoever opens it checks what it is.
Result<std::vector<std::string>> scan_once(int dir_fd, const std::string& path, fs::DirListing* listing) {
  std::vector<std::string> out;
  Status st = fs::for_each_dir_entry(
      dir_fd, path,
      [&](std::string_view name, unsigned char d_type) {
        if (!maildir_name_ok(name)) return;
        if (d_type == DT_UNKNOWN) {
          struct stat st;
          if (::fstatat(dir_fd, std::string(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (!S_ISREG(st.st_mode)) return;
          } else if (errno != ENOENT) {
            return;
          }
        } else if (d_type != DT_REG) {
          return;
        }
        out.emplace_back(name);
      },
      listing);
  if (!st) return st.error();
  return out;
}

// The listing callers trust: a message missing from it is taken as
// expunged. One getdents64 call is atomic against renames; a listing that
// took several can miss a file that another session renamed between two
// calls (a flag change), which would look like an expunge. That happens
// where the directory's size understates its listing (file systems that
// count entries, not bytes): it is then listed again with a buffer sized
// by what the kernel returned, in one call. Beyond kMaxOneCallBytes (some
// 60,000 messages) the second listing takes several calls too, and a base
// name found in either listing is kept (under its name in the later one):
// a file is lost only if missed by both.
// last_bytes (optional): what the directory's last listing took, so that
// this one needs no stat to size its buffer; updated.
Result<std::vector<std::string>> scan(int dir_fd, const std::string& path, size_t* last_bytes = nullptr) {
  fs::DirListing listing;
  if (last_bytes && *last_bytes > 0) listing.min_buffer = *last_bytes + *last_bytes / 4 + 4096;
  auto first = scan_once(dir_fd, path, &listing);
  if (first && last_bytes) *last_bytes = listing.bytes;
  if (!first || listing.calls <= 1) return first;
  listing.min_buffer = listing.bytes + listing.bytes / 4 + 4096;
  auto again = scan_once(dir_fd, path, &listing);
  if (again && last_bytes) *last_bytes = listing.bytes;
  if (!again || listing.calls <= 1) return again;
  auto base = [](std::string_view n) { return n.substr(0, n.find(':')); };
  std::unordered_set<std::string_view> bases;
  for (const std::string& n : *again) bases.insert(base(n));
  std::vector<std::string> missed;
  for (std::string& n : *first)
    if (!bases.count(base(n))) missed.push_back(std::move(n));
  for (std::string& n : missed) again->push_back(std::move(n));
  return again;
}

std::string base_of(std::string_view name) { return std::string(name.substr(0, name.find(':'))); }

std::string_view base_view(std::string_view name) { return name.substr(0, name.find(':')); }


}  // namespace

Result<std::unique_ptr<MaildirMailbox>> MaildirMailbox::open(const std::string& root, const std::string& dir_arg,
                                                             std::string name) {
  std::unique_ptr<MaildirMailbox> mb(new MaildirMailbox());
  mb->root_ = without_trailing_slash(root);
  mb->dir_ = without_trailing_slash(dir_arg);
  mb->name_ = std::move(name);
  if (Status st = mb->open_dirs(); !st) return st.error();
  mb->clean_tmp();
  mb->listings_ = SharedListings::process().join(mb->dir_);
  if (auto r = mb->refresh(); !r) return r.error();
  mb->uidvalidity_changed_ = false;
  return mb;
}

// The folder and its cur/, new/ and tmp/, opened without following links.
// The first time, the folder's identity is noted; when they are opened again
// after release_handles(), a folder renamed or replaced meanwhile is refused
// rather than silently read in its new place.
Status MaildirMailbox::open_dirs() {
  auto top = open_dir(AT_FDCWD, dir_, dir_);
  if (!top) return top.error();
  struct stat st;
  if (::fstat(top->get(), &st) != 0) return fs::errno_error("stat", dir_, errno);
  if (identity_ && (identity_->first != st.st_dev || identity_->second != st.st_ino))
    return Error::with_dsn("5.2.0", fmt::format("{}: the folder was renamed or replaced", dir_));
  UniqueFd cur, fresh, tmp;
  for (auto [sub, fd] : {std::pair{"cur", &cur}, {"new", &fresh}, {"tmp", &tmp}}) {
    auto d = open_dir(top->get(), sub, fs::join(dir_, sub));
    if (!d) return d.error();
    *fd = std::move(*d);
  }
  if (!identity_) fine_stamps_ = fine_stamps(top->get());
  identity_ = std::pair{st.st_dev, st.st_ino};
  dir_fd_ = std::move(*top);
  cur_fd_ = std::move(cur);
  new_fd_ = std::move(fresh);
  tmp_fd_ = std::move(tmp);
  return ok_status();
}

void MaildirMailbox::release_handles() {
  dir_fd_.reset();
  cur_fd_.reset();
  new_fd_.reset();
  tmp_fd_.reset();
  if (modseqs_) modseqs_->close();
}

Status MaildirMailbox::reacquire() {
  if (dir_fd_.valid()) return ok_status();
  return open_dirs();
}

// Files a writer left in tmp/ when it died: the Maildir rule (and Dovecot's)
// is that nothing stays there for 36 hours, so older ones are garbage.
void MaildirMailbox::clean_tmp() {
  auto names = scan(tmp_fd_.get(), fs::join(dir_, "tmp"));
  if (!names) return;
  const time_t cutoff = ::time(nullptr) - kTmpMaxAgeSeconds;
  for (const std::string& n : *names) {
    struct stat st;
    if (::fstatat(tmp_fd_.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        st.st_mtime < cutoff && st.st_atime < cutoff)
      ::unlinkat(tmp_fd_.get(), n.c_str(), 0);
  }
}

const MessageInfo* MaildirMailbox::find(uint32_t uid) const {
  auto it = std::lower_bound(messages_.begin(), messages_.end(), uid,
                             [](const MessageInfo& m, uint32_t u) { return m.uid < u; });
  return it != messages_.end() && it->uid == uid ? &*it : nullptr;
}

MessageInfo* MaildirMailbox::find_mut(uint32_t uid) { return const_cast<MessageInfo*>(find(uid)); }

Status MaildirMailbox::load_index_if_changed(const Seen* seen) {
  const std::string path = fs::join(dir_, kUidlistName);
  IndexStamp now;
  if (seen && seen->stamp.index.ino != 0) {
    // Taken before the scan: a change since then is read now or at the next
    // refresh, whose stamp then differs from the one the scan is kept under.
    now = seen->stamp.index;
  } else {
    struct stat st;
    if (::fstatat(dir_fd_.get(), kUidlistName, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) return fs::errno_error("stat", path, errno);
      have_index_ = false;  // lost: the locked path rebuilds it
      return ok_status();
    }
    now = {st.st_ino, st.st_size, mtime_ns_of(st)};
  }
  if (have_index_ && now.ino == stamp_.ino && now.size == stamp_.size && now.mtime_ns == stamp_.mtime_ns)
    return ok_status();
  auto list = read_uidlist(dir_fd_.get(), dir_);
  if (!list) {
    if (list.error().is_temporary()) return list.error();
    have_index_ = false;  // damaged: the locked path rebuilds it
    return ok_status();
  }
  if (!*list) {
    have_index_ = false;
    return ok_status();
  }
  index_ = std::move(**list);
  uid_of_base_.clear();
  for (const UidlistRecord& r : index_.records) uid_of_base_[r.base] = r.uid;
  stamp_ = now;
  have_index_ = true;
  return ok_status();
}

Status MaildirMailbox::rebuild_index(std::string_view why) {
  if (why != "missing") log::warn("rebuilding the UID index of {}: {}", dir_, why);
  index_ = Uidlist{};
  index_.uidvalidity = next_uidvalidity(root_);
  index_.guid = new_mailbox_guid();
  uid_of_base_.clear();
  have_index_ = true;
  return ok_status();
}

// Records of expunged messages that may stay in dovecot-uidlist before it
// is rewritten without them (at least kStaleKept, or a quarter of the live ones).
constexpr size_t kStaleKept = 64;

// Under the lock: the index as on disk (rebuilt if lost or damaged), a UID
// for every file of cur/ and new/ without one, records of vanished files
// dropped. New records are appended to the file in place (one fdatasync);
// it is rewritten whole when it was rebuilt or torn, or once the records of
// vanished files in it outnumber kStaleKept and a quarter of the live ones.
// Those records name no file, so they harm nothing meanwhile, and their
// UIDs are below next_uid, so none is ever given again.
// Under the lock: the index read again whatever its stamp says.
Status MaildirMailbox::reread_index() {
  stamp_ = {};
  have_index_ = false;
  return load_index_if_changed();
}

// Under the lock, after writing the index: its stamp, so that the next look
// does not read back what this mailbox already holds.
void MaildirMailbox::note_index_written() {
  struct stat st;
  if (::fstatat(dir_fd_.get(), kUidlistName, &st, AT_SYMLINK_NOFOLLOW) == 0)
    stamp_ = {st.st_ino, st.st_size, mtime_ns_of(st)};
}

Status MaildirMailbox::sync_locked(std::vector<std::string>& cur_names) {
  if (Status st = reread_index(); !st) return st;
  bool changed = false, rebuilt = false;
  if (!have_index_) {
    auto again = read_uidlist(dir_fd_.get(), dir_);
    if (Status st = rebuild_index(again ? "missing" : again.error().detail); !st) return st;
    changed = rebuilt = true;
  }
  const size_t on_disk = index_.records.size();
  auto left_in_new = scan_new();
  if (!left_in_new) return left_in_new.error();
  std::unordered_set<std::string> present;
  std::vector<std::string> unknown;
  for (const auto* names : {&cur_names, &*left_in_new}) {
    for (const std::string& n : *names) {
      std::string base = base_of(n);
      if (!present.insert(base).second) continue;
      if (names == &cur_names && uid_of_base_.find(std::string_view(base)) == uid_of_base_.end())
        unknown.push_back(base);
    }
  }
  // Delivery order: the names start with the delivery time (delivered_before).
  std::sort(unknown.begin(), unknown.end(), [](const std::string& a, const std::string& b) {
    return delivered_before(a, b);
  });
  for (const std::string& base : unknown) {
    if (index_.next_uid >= UINT32_MAX - 1)
      return Error::with_dsn("4.3.0", fmt::format("{}: UIDs exhausted; remove the index to renumber", dir_));
    index_.records.push_back({index_.next_uid, "", base});
    uid_of_base_[base] = index_.next_uid++;
    changed = true;
  }
  const size_t added = index_.records.size() - on_disk;
  std::erase_if(index_.records, [&](const UidlistRecord& r) {
    if (present.count(r.base)) return false;
    uid_of_base_.erase(r.base);
    return true;
  });
  const size_t live = index_.records.size();
  // The file was read whole under this lock: what it holds beyond the live
  // records names vanished files.
  const size_t stale = on_disk + added - live;
  if (!changed && stale == 0) return ok_status();
  if (!rebuilt && !index_.torn_tail && stale <= std::max(kStaleKept, live / 4)) {
    if (added == 0) return ok_status();
    // The new records are the last ones, whatever vanished before them.
    if (Status st = append_uidlist(dir_fd_.get(), dir_, index_.records, live - added); !st) return st;
  } else {
    if (Status st = write_uidlist(dir_fd_.get(), dir_, index_); !st) return st;
    index_.torn_tail = false;
  }
  note_index_written();
  return ok_status();
}

// Under the lock, an appended message alone: the index as on disk gets
// one record, the message's, at next_uid, appended in place; cur/ is not
// listed, and the files there that have no UID yet are numbered by the
// next refresh (Dovecot's partial sync does the same). Nothing is dropped,
// so nothing need be listed to know what is still there. nullopt when the
// index must be written whole (lost, damaged, torn, or holding more records
// of expunged messages than sync_locked keeps, as far as the view tells):
// the caller then takes the full path.
Result<std::optional<uint32_t>> MaildirMailbox::number_appended_locked(std::string_view base) {
  if (Status st = reread_index(); !st) return st.error();
  const size_t live = messages_.size() + 1;
  if (!have_index_ || index_.torn_tail || index_.records.size() + 1 > live + std::max(kStaleKept, live / 4))
    return std::optional<uint32_t>();
  if (uid_of_base_.count(base)) return std::optional<uint32_t>();  // cannot be (a fresh unique name); be safe
  if (index_.next_uid >= UINT32_MAX - 1)
    return Error::with_dsn("4.3.0", fmt::format("{}: UIDs exhausted; remove the index to renumber", dir_));
  const uint32_t uid = index_.next_uid++;
  index_.records.push_back({uid, "", std::string(base)});
  uid_of_base_[std::string(base)] = uid;
  if (Status st = append_uidlist(dir_fd_.get(), dir_, index_.records, index_.records.size() - 1); !st) {
    stamp_ = {};
    have_index_ = false;  // the file may hold part of the record: read again next time
    return st.error();
  }
  note_index_written();
  return std::optional<uint32_t>(uid);
}

Result<std::vector<MaildirMailbox::Current>> MaildirMailbox::sync(const Incoming* in, uint32_t* added_uid,
                                                                  const Seen* seen) {
  const std::string cur_path = fs::join(dir_, "cur"), new_path = fs::join(dir_, "new");
  if (!seen)  // a stamp (folder_stamp) has just looked
    if (Status st = check_not_deleted(); !st) return st.error();
  // new/ -> cur/, as Dovecot does; someone else moving it first is fine.
  // An append leaves new/ to the next refresh.
  Result<std::vector<std::string>> fresh = std::vector<std::string>{};
  if (!in) fresh = scan_new(seen);
  if (!fresh) return fresh.error();
  for (const std::string& n : *fresh) {
    std::string target = n.find(':') == std::string::npos ? n + ":2," : n;
    if (::renameat2(new_fd_.get(), n.c_str(), cur_fd_.get(), target.c_str(), RENAME_NOREPLACE) != 0 &&
        errno != ENOENT)
      log::warn("cannot move {} into {}: {}", fs::join(new_path, n), cur_path, strerror(errno));
  }
  // An append lists cur/ under the lock only (below); a refresh first
  // without it, since it mostly finds every name known.
  Result<std::vector<std::string>> names = std::vector<std::string>{};
  bool all_known = false;
  if (!in) {
    names = scan(cur_fd_.get(), cur_path, &cur_listing_bytes_);
    if (!names) return names.error();
    if (Status st = load_index_if_changed(seen); !st) return st.error();
    all_known = have_index_ && std::all_of(names->begin(), names->end(), [&](const std::string& n) {
                  return uid_of_base_.find(base_view(n)) != uid_of_base_.end();
                });
  }
  bool numbered_alone = false;
  if (!all_known) {
    auto lock = UidlistLock::acquire(dir_fd_.get(), dir_);
    if (!lock) return lock.error();
    if (in)
      if (Status st = place(*in); !st) return st.error();
    // A message whose UID could not be recorded is taken back: the client
    // is told NO and may retry, so keeping it would make a duplicate.
    auto take_back = [&](Error e) -> Result<std::vector<Current>> {
      if (in) ::unlinkat(cur_fd_.get(), std::string(in->cur_name).c_str(), 0);
      return e;
    };
    if (in) {
      auto alone = number_appended_locked(base_view(in->cur_name));
      if (!alone) return take_back(alone.error());
      if (*alone) {
        if (added_uid) *added_uid = **alone;
        numbered_alone = true;
      }
    }
    if (!numbered_alone) {
      names = scan(cur_fd_.get(), cur_path, &cur_listing_bytes_);  // under the lock: see maildir_mailbox.h
      if (!names) return take_back(names.error());
      if (Status st = sync_locked(*names); !st) return take_back(st.error());
      if (added_uid) {
        auto it = uid_of_base_.find(base_view(in->cur_name));
        if (it == uid_of_base_.end()) return Error::temp(fmt::format("{}: appended file vanished", cur_path));
        *added_uid = it->second;
      }
    }
  }
  if (in) {
    // The new name in cur/ is made durable once the lock is let go, so
    // that the next writer waits for one flush (the UID record's), not
    // two. The caller answers only after this; if it fails the message is
    // taken back, and its UID, already recorded, stays unused.
    if (Status st = fs::fsync_fd(cur_fd_.get(), cur_path); !st) {
      ::unlinkat(cur_fd_.get(), std::string(in->cur_name).c_str(), 0);
      return st.error();
    }
  }
  std::vector<Current> out;
  out.reserve(names->size());
  for (std::string& n : *names) {
    auto it = uid_of_base_.find(base_view(n));
    if (it != uid_of_base_.end()) out.push_back({it->second, std::move(n)});
  }
  std::stable_sort(out.begin(), out.end(), [](const Current& a, const Current& b) { return a.uid < b.uid; });
  // Two names of one base (two infos): the first listed is the message.
  out.erase(std::unique(out.begin(), out.end(), [](const Current& a, const Current& b) { return a.uid == b.uid; }),
            out.end());
  return out;
}

// new/ is listed unless it was found empty before and its mtime, settled
// then (store/stamp_settle.h), has not moved since: a folder that gets its mail by
// APPEND or from Dovecot's LMTP into cur/ then costs one stat here, not a
// listing.
Result<std::vector<std::string>> MaildirMailbox::scan_new(const Seen* seen) {
  SettleMark mark;
  int64_t mtime_ns = 0;
  if (seen) {
    mark = seen->mark;
    mtime_ns = seen->stamp.new_ns;
  } else {
    mark = settle_mark(fine_stamps_);
    struct stat st;
    if (::fstat(new_fd_.get(), &st) != 0) return fs::errno_error("stat", fs::join(dir_, "new"), errno);
    mtime_ns = mtime_ns_of(st);
  }
  if (new_empty_at_ && *new_empty_at_ == mtime_ns) return std::vector<std::string>{};
  new_empty_at_.reset();
  auto names = scan(new_fd_.get(), fs::join(dir_, "new"));
  if (names && names->empty() && is_settled(mtime_ns, mark)) new_empty_at_ = mtime_ns;
  return names;
}

// A folder deleted under an open session (IMAP DELETE elsewhere): say so
// rather than show it empty or let an append vanish with it.
Status MaildirMailbox::check_not_deleted() {
  struct stat st;
  if (::fstat(dir_fd_.get(), &st) != 0) return fs::errno_error("stat", dir_, errno);
  if (st.st_nlink == 0) return Error::with_dsn("5.2.0", fmt::format("{}: the folder was deleted", dir_));
  return ok_status();
}

// A message new to the view, looked at (its date, its size where the name
// does not carry it, that it is a regular file). Renamed since the listing
// (another session changed its flags), it is found again by its base; a
// message gone from a later listing was expunged (false). Skipping one
// that still exists would be worse than an error: it would come into the
// view later, below UIDs already shown.
Result<bool> MaildirMailbox::stat_new_message(std::string& name, struct stat& st) {
  constexpr int kTries = 50;
  for (int tries = 0;; ++tries) {
    if (::fstatat(cur_fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return S_ISREG(st.st_mode);
    if (errno != ENOENT) return fs::errno_error("stat", fs::join(fs::join(dir_, "cur"), name), errno);
    if (tries == kTries)
      return Error::temp(fmt::format("{}: message {} keeps being renamed; try again", dir_, base_of(name)));
    auto now = find_current(base_of(name));
    if (!now) return now.error();
    if (!*now) return false;
    name = std::move(**now);
  }
}

// The name a message has now in cur/, found by its base (another session
// may have changed its flags, hence its name, since our snapshot).
Result<std::optional<std::string>> MaildirMailbox::find_current(const std::string& base) {
  auto names = scan(cur_fd_.get(), fs::join(dir_, "cur"));
  if (!names) return names.error();
  for (std::string& n : *names)
    if (base_view(n) == base) return std::optional<std::string>(std::move(n));
  return std::optional<std::string>();
}

// As find_current, a message gone being an error (permanent).
Result<std::string> MaildirMailbox::current_name(const std::string& base) {
  auto found = find_current(base);
  if (!found) return found.error();
  if (!*found) return Error::with_dsn("5.2.0", fmt::format("{}: message {} was expunged", dir_, base));
  return std::move(**found);
}

std::string MaildirMailbox::message_key(uint32_t uid) const {
  const MessageInfo* m = find(uid);
  if (!m) return {};
  const std::string& name = names_[static_cast<size_t>(m - messages_.data())];
  return fmt::format("{}/{}/{}", dir_, std::string_view(name).substr(0, name.find(':')), m->size_bytes);
}

Result<UniqueFd> MaildirMailbox::open_message(uint32_t uid) {
  struct stat st;
  return open_file(uid, st);
}

Result<UniqueFd> MaildirMailbox::open_file(uint32_t uid, struct stat& st) {
  if (Status st = reacquire(); !st) return st.error();
  const MessageInfo* m = find(uid);
  if (!m) return Error::with_dsn("5.2.0", fmt::format("{}: no message with UID {}", dir_, uid));
  size_t idx = static_cast<size_t>(m - messages_.data());
  UniqueFd fd(::openat(cur_fd_.get(), names_[idx].c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  // Renamed by another session (a flag change): opened under its name of now.
  for (int tries = 0; !fd.valid() && errno == ENOENT && tries < 10; ++tries) {
    auto now = current_name(base_of(names_[idx]));
    if (!now) return now.error();
    fd.reset(::openat(cur_fd_.get(), now->c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  }
  if (!fd.valid() && errno == ENOENT)
    return Error::with_dsn("5.2.0", fmt::format("{}: message with UID {} was expunged", dir_, uid));
  if (!fd.valid()) return fs::errno_error("open", m->path, errno);
  // O_NONBLOCK: a FIFO put in cur/ must not hang the open; a regular file ignores it.
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return Error::with_dsn("5.2.0", fmt::format("{}: not a regular file", m->path));
  return fd;
}

Result<std::string> MaildirMailbox::read(uint32_t uid) {
  struct stat st;
  auto fd = open_file(uid, st);
  if (!fd) return fd.error();
  const std::string& path = find(uid)->path;
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd->get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fs::errno_error("read", path, errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

Result<uint64_t> MaildirMailbox::crlf_size(uint32_t uid) {
  MessageInfo* m = find_mut(uid);
  if (!m) return Error::with_dsn("5.2.0", fmt::format("{}: no message with UID {}", dir_, uid));
  if (m->vsize_bytes != 0 || m->size_bytes == 0) return m->vsize_bytes;
  auto fd = open_message(uid);
  if (!fd) return fd.error();
  // Streamed: a message may be large, and only its line ends matter.
  uint64_t total = 0;
  char prev = '\0';
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fs::errno_error("read", m->path, errno);
    if (n == 0) break;
    std::string_view chunk(buf, static_cast<size_t>(n));
    total += store::crlf_size(chunk);
    if (prev == '\r' && chunk.front() == '\n') --total;  // a CRLF across two reads
    prev = chunk.back();
  }
  m->vsize_bytes = total;
  return total;
}

// dovecot-keywords changes rarely; refresh() reads it again only when its
// stamp moved since a read whose stamp was settled (as for the folder,
// store/stamp_settle.h), so a folder's keywords cost one stat per refresh.
Status MaildirMailbox::load_keywords(bool force) {
  const std::string path = fs::join(dir_, kKeywordsName);
  const SettleMark mark = settle_mark(fine_stamps_);
  struct stat st;
  IndexStamp now;  // ino 0: no file
  if (::fstatat(dir_fd_.get(), kKeywordsName, &st, AT_SYMLINK_NOFOLLOW) == 0)
    now = {st.st_ino, st.st_size, mtime_ns_of(st)};
  else if (errno != ENOENT)
    return fs::errno_error("stat", path, errno);
  if (!force && keywords_read_ && *keywords_read_ == now) return ok_status();
  keywords_read_.reset();
  UniqueFd fd(::openat(dir_fd_.get(), kKeywordsName, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid() && errno == ENOENT) {
    keywords_ = {};
    if (now.ino == 0) keywords_read_ = now;
    return ok_status();
  }
  if (!fd.valid()) return fs::errno_error("open", path, errno);
  if (::fstat(fd.get(), &st) != 0) return fs::errno_error("stat", path, errno);
  now = {st.st_ino, st.st_size, mtime_ns_of(st)};
  std::string bytes(kMaxKeywordsBytes, '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::read(fd.get(), bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fs::errno_error("read", path, errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  keywords_ = parse_keywords(bytes);
  if (is_settled(now.mtime_ns, mark)) keywords_read_ = now;
  return ok_status();
}

// Unlinks each message (following a rename by someone else; its blocks are
// freed off this thread: base/deferred_close.h), then, with
// mail_fsync = always, makes the removals durable with one fsync of cur/
// (with the default an expunge may come undone in a power failure, as in
// Dovecot: never a message lost), then drops them from the
// snapshot. A failure midway leaves the ones removed so far removed and
// out of the snapshot.
Status MaildirMailbox::expunge_all(const std::vector<uint32_t>& uids) {
  if (Status st = reacquire(); !st) return st;
  const std::string cur_path = fs::join(dir_, "cur");
  std::vector<uint32_t> removed;
  int64_t bytes = 0;
  Status failed = ok_status();
  for (uint32_t uid : uids) {
    const MessageInfo* m = find(uid);
    if (!m) continue;
    std::string name = names_[static_cast<size_t>(m - messages_.data())];
    // Renamed by another session in between (a flag change): unlinked
    // under its name of now. A file that keeps moving is left, and said.
    bool gone = false;
    for (int attempt = 0; attempt < 10 && !gone && failed; ++attempt) {
      // Held open across the unlink, its blocks are freed by the closing
      // thread (base/deferred_close.h), not while the client waits.
      UniqueFd held(::openat(cur_fd_.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (::unlinkat(cur_fd_.get(), name.c_str(), 0) == 0) {
        gone = true;
        fs::close_later(std::move(held));
      } else if (errno != ENOENT) {
        failed = fs::errno_error("unlink", fs::join(cur_path, name), errno);
      } else if (auto now = find_current(base_of(name)); !now) {
        failed = now.error();
      } else if (!*now) {
        gone = true;  // expunged by someone else
      } else {
        name = std::move(**now);
      }
    }
    if (failed && !gone) failed = Error::temp(fmt::format("{}: UID {} keeps being renamed; not expunged", dir_, uid));
    if (!failed) break;
    removed.push_back(uid);
    bytes += static_cast<int64_t>(m->size_bytes);
  }
  if (removed.empty()) return failed;
  if (mail_fsync() == MailFsync::always)
    if (Status st = fs::fsync_fd(cur_fd_.get(), cur_path); !st) return st;
  (void)quota_add(root_, -bytes, -static_cast<int64_t>(removed.size()));
  std::sort(removed.begin(), removed.end());
  size_t out = 0;
  for (size_t i = 0; i < messages_.size(); ++i) {
    if (std::binary_search(removed.begin(), removed.end(), messages_[i].uid)) continue;
    if (out != i) {
      messages_[out] = std::move(messages_[i]);
      names_[out] = std::move(names_[i]);
    }
    ++out;
  }
  messages_.resize(out);
  names_.resize(out);
  if (modseqs_) record_expunges(removed);
  else modseq_ += removed.size();
  ChangeHub::process().changed(dir_);
  return failed;
}

// The added message into cur/: renamed from tmp/, or an unnamed file linked
// in by its /proc/self/fd name (linkat cannot name a descriptor otherwise
// without CAP_DAC_READ_SEARCH). Either fails rather than replace a file.
Status MaildirMailbox::place(const Incoming& in) {
  const std::string target(in.cur_name);
  if (in.fd < 0) {
    if (::renameat2(tmp_fd_.get(), in.tmp_name.c_str(), cur_fd_.get(), target.c_str(), RENAME_NOREPLACE) != 0)
      return fs::errno_error("rename into", fs::join(dir_, "cur"), errno);
    return ok_status();
  }
  const std::string proc = fmt::format("/proc/self/fd/{}", in.fd);
  if (::linkat(AT_FDCWD, proc.c_str(), cur_fd_.get(), target.c_str(), AT_SYMLINK_FOLLOW) != 0)
    return fs::errno_error("link into", fs::join(dir_, "cur"), errno);
  return ok_status();
}

Result<uint32_t> MaildirMailbox::commit(const Incoming& in) {
  uint32_t uid = 0;
  auto r = sync(&in, &uid);
  if (!r) {
    if (in.fd < 0) ::unlinkat(tmp_fd_.get(), in.tmp_name.c_str(), 0);
    return r.error();
  }
  // The account's maildirsize (kept when it has a quota) counts the message.
  if (auto size = parse_maildir_filename(in.cur_name).size_bytes)
    (void)quota_add(root_, static_cast<int64_t>(*size), 1);
  ChangeHub::process().changed_in(dir_, "cur");
  return uid;
}

Result<uint32_t> MaildirMailbox::append(std::string_view bytes, MessageFlags flags, int64_t internal_date_s) {
  auto draft = begin_append();
  if (!draft) return draft.error();
  if (Status st = (*draft)->write(bytes); !st) return st.error();
  return (*draft)->commit(flags, {}, internal_date_s);
}

Result<uint32_t> MaildirMailbox::copy_to(uint32_t uid, Mailbox& dest_arg) {
  const MessageInfo* m = find(uid);
  if (!m) return Error::with_dsn("5.2.0", fmt::format("{}: no message with UID {}", dir_, uid));
  auto* dest = dynamic_cast<MaildirMailbox*>(&dest_arg);
  if (dest) {
    if (Status st = reacquire(); !st) return st.error();
    if (Status st = dest->reacquire(); !st) return st.error();
    const std::string& src = names_[static_cast<size_t>(m - messages_.data())];
    // Keyword letters are per folder: name them in the destination's table.
    auto letters = dest->letters_for(m->keywords, true);
    if (!letters) return letters.error();
    std::string name = maildir_unique_name(m->size_bytes, m->vsize_bytes);
    if (::linkat(cur_fd_.get(), src.c_str(), dest->tmp_fd_.get(), name.c_str(), 0) == 0) {
      const std::string cur_name = format_maildir_filename(name, m->flags, *letters);
      return dest->commit({name, -1, cur_name});
    }
    if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOENT)
      return fs::errno_error("link into", fs::join(dest->dir_, "tmp"), errno);
  }
  // Another file system: the bytes are copied, keywords and all.
  auto bytes = read(uid);
  if (!bytes) return bytes.error();
  auto draft = dest_arg.begin_append();
  if (!draft) return draft.error();
  if (Status st = (*draft)->write(*bytes); !st) return st.error();
  return (*draft)->commit(m->flags, m->keywords, m->internal_date_s);
}

}  // namespace tern::store
