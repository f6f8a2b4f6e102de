// MaildirMailbox's refresh (see maildir_mailbox.h): the folder stamped,
// by path where stamps can be trusted so, and skipped while unchanged; else
// another mailbox's listing of it as it is now taken (shared_listings.h),
// or the folder scanned; then the view compared with the one before, for
// the messages that appeared, vanished or changed flags.
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "store/change_hub.h"
#include "store/maildir_filename.h"
#include "store/maildir_mailbox.h"
#include "store/stamp_settle.h"
#include "store/uidlist_file.h"

namespace tern::store {

Result<FolderStamp> MaildirMailbox::folder_stamp() {
  FolderStamp f;
  struct stat st;
  if (::fstat(cur_fd_.get(), &st) != 0) return fs::errno_error("stat", fs::join(dir_, "cur"), errno);
  // Removed (a DELETE elsewhere removes cur/ before the folder), even one
  // whose cur/ was empty, so that its stamp never moved.
  if (st.st_nlink == 0) return Error::with_dsn("5.2.0", fmt::format("{}: the folder was deleted", dir_));
  f.cur_ns = mtime_ns_of(st);
  if (::fstat(new_fd_.get(), &st) != 0) return fs::errno_error("stat", fs::join(dir_, "new"), errno);
  f.new_ns = mtime_ns_of(st);
  if (::fstatat(dir_fd_.get(), kUidlistName, &st, AT_SYMLINK_NOFOLLOW) == 0)
    f.index = {st.st_ino, st.st_size, mtime_ns_of(st)};
  return f;
}

std::optional<PathStamp> MaildirMailbox::stamp_by_path(bool keywords) const {
  struct stat st;
  if (::lstat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
  PathStamp p;
  p.dev = st.st_dev;
  p.ino = st.st_ino;
  for (auto [sub, ns] : {std::pair{"/cur", &p.folder.cur_ns}, {"/new", &p.folder.new_ns}}) {
    if (::lstat((dir_ + sub).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
    *ns = mtime_ns_of(st);
  }
  if (::lstat(fs::join(dir_, kUidlistName).c_str(), &st) == 0)
    p.folder.index = {st.st_ino, st.st_size, mtime_ns_of(st)};
  else if (errno != ENOENT)
    return std::nullopt;
  if (keywords) {
    p.keywords_looked = true;
    p.keywords = keywords_stamp_by_path();
  }
  return p;
}

std::optional<PathStamp> MaildirMailbox::path_stamp(uint64_t told) const {
  std::optional<PathStamp> p;
  if (told != 0 && listings_) p = listings_->stamp_since(told);
  if (!p) {
    // Read before looking: the look includes every change told by then.
    const uint64_t generation = ChangeHub::process().generation();
    const bool sharing = listings_ && listings_->shared();
    p = stamp_by_path(sharing && !modseqs_);
    if (p && sharing) listings_->note_stamp(*p, generation);
  }
  if (!p || !identity_ || p->dev != identity_->first || p->ino != identity_->second) return std::nullopt;
  return p;
}

// dovecot-keywords as load_keywords() stamps it (ino 0: no file); nullopt
// when it cannot be looked at.
std::optional<FileStamp> MaildirMailbox::keywords_stamp_by_path() const {
  struct stat st;
  if (::lstat(fs::join(dir_, kKeywordsName).c_str(), &st) == 0) return FileStamp{st.st_ino, st.st_size, mtime_ns_of(st)};
  if (errno == ENOENT) return FileStamp{};
  return std::nullopt;
}

Result<RefreshChanges> MaildirMailbox::refresh_after(uint64_t told) {
  // Nothing changed since this mailbox last looked, or another of this
  // process has just listed the folder as it is now: the folder is
  // neither opened nor listed.
  // Where stamps are coarse (and on NFS, whose attributes a stat may take
  // from a cache that only an open refreshes) the folder is opened first.
  // A mailbox whose handles are open (a session between two commands) and
  // that was told of no change looks through them: three stats of open
  // descriptors where the path costs four path walks, and the look is the
  // stamp a scan takes before it, so a changed folder is not stamped twice
  // (the scan reads through the same descriptors).
  std::optional<PathStamp> quick;
  std::optional<SettleMark> looked_mark;  // set when quick was looked at through the handles
  uint64_t looked_generation = 0;
  if (fine_stamps_ && dir_fd_.valid() && told == 0 && identity_) {
    looked_generation = ChangeHub::process().generation();  // read before the stamp
    looked_mark = settle_mark(true);
    auto through = folder_stamp();
    if (!through) return through.error();
    quick = PathStamp{identity_->first, identity_->second, *through, false, std::nullopt};
  } else if (fine_stamps_) {
    quick = path_stamp(told);
  }
  if (quick) {
    if (scanned_ && *scanned_ == quick->folder) return RefreshChanges{};
    if (!modseqs_ && listings_)
      if (auto listing = listings_->find(quick->folder);
          listing && (listing->settled || (told != 0 && listing->generation >= told)) &&
          (uidvalidity_ == 0 || listing->uidvalidity == uidvalidity_) && listing->keywords_read &&
          (quick->keywords_looked ? quick->keywords : keywords_stamp_by_path()) == listing->keywords_read)
        return adopt(*listing);
  }
  const bool by_path = !dir_fd_.valid();  // opened now by path, as the folder is there now
  if (Status st = reacquire(); !st) return st.error();
  uint64_t generation = looked_generation;
  SettleMark mark;
  Result<FolderStamp> before = FolderStamp{};
  if (looked_mark) {
    mark = *looked_mark;
    before = quick->folder;
  } else {
    generation = ChangeHub::process().generation();  // read before the stamp
    mark = settle_mark(fine_stamps_);
    before = folder_stamp();
  }
  if (!before) return before.error();
  // The look is the newest: shared, it spares the next sessions told of the
  // same change a look that would find the folder as it was before this one
  // (the first to list moves new/ into cur/, so an earlier look is stale and
  // matches no listing).
  if (by_path && fine_stamps_ && listings_ && listings_->shared()) {
    PathStamp seen;
    seen.dev = identity_->first;
    seen.ino = identity_->second;
    seen.folder = *before;
    if (!modseqs_) {  // those who take it take listings too: spare them looking at the keywords
      seen.keywords_looked = true;
      seen.keywords = keywords_stamp_by_path();
    }
    listings_->note_stamp(seen, generation);
  }
  if (scanned_ && *scanned_ == *before) {
    if (Status st = check_not_deleted(); !st) return st.error();
    return RefreshChanges{};
  }
  scanned_.reset();
  // Tracking mod-sequences, the listing is taken under their lock, so what
  // this session records is never older than what another recorded.
  ModseqUnlock unlock{modseqs_.get()};
  if (modseqs_)
    if (Status st = modseqs_->lock(dir_fd_.get()); !st) return st.error();
  const Seen seen{*before, mark};
  auto current = sync(nullptr, nullptr, &seen);
  if (!current) return current.error();
  if (Status st = load_keywords(); !st) return st.error();
  auto changes = take_view(*current, index_.uidvalidity, [&](Current& c) -> Result<std::optional<MessageInfo>> {
    struct stat st;
    auto looked = stat_new_message(c.name, st);
    if (!looked) return looked.error();
    if (!*looked) return std::optional<MessageInfo>();  // expunged since the scan, never shown
    MaildirFilename parsed = parse_maildir_filename(c.name);
    MessageInfo info;
    info.uid = c.uid;
    info.size_bytes = parsed.size_bytes.value_or(static_cast<uint64_t>(st.st_size));
    info.vsize_bytes = parsed.vsize_bytes.value_or(0);
    info.flags = parsed.flags;
    info.keywords = keyword_names(parsed.keywords);
    info.internal_date_s = st.st_mtim.tv_sec;
    info.path = fs::join(fs::join(dir_, "cur"), c.name);
    return std::optional<MessageInfo>(std::move(info));
  });
  if (!changes) return changes.error();
  uidnext_ = index_.next_uid;
  if (modseqs_) {
    if (Status st = record_modseqs(*changes); !st) return st.error();
  } else {
    modseq_ += changes->appeared.size() + changes->vanished.size() + changes->flags_changed.size();
  }
  // The stamp was taken before the scan, so a change during it shows next time.
  const bool settled =
      is_settled(before->cur_ns, mark) && is_settled(before->new_ns, mark) && is_settled(before->index.mtime_ns, mark);
  if (settled) scanned_ = *before;
  // Published settled or not: the sessions woken with this one by the same
  // delivery may take it while the folder is still too fresh to trust its
  // stamp alone (FolderListing::settled).
  if (!modseqs_ && listings_ && listings_->shared()) {
    auto published = listings_->find(*before);
    if (!published || (settled && !published->settled))
      listings_->publish(std::make_shared<const FolderListing>(FolderListing{
          *before, uidvalidity_, uidnext_, messages_, names_, keywords_, keywords_read_, settled, generation}));
  }
  return changes;
}

Result<RefreshChanges> MaildirMailbox::adopt(const FolderListing& listing) {
  keywords_ = listing.keywords;
  keywords_read_ = listing.keywords_read;
  std::vector<Current> current;
  current.reserve(listing.names.size());
  for (size_t i = 0; i < listing.names.size(); ++i) current.push_back({listing.messages[i].uid, listing.names[i]});
  size_t next = 0;  // both lists ascend: the listing's message for each new UID is found walking forward
  auto changes = take_view(current, listing.uidvalidity, [&](Current& c) -> Result<std::optional<MessageInfo>> {
    while (listing.messages[next].uid != c.uid) ++next;
    return std::optional<MessageInfo>(listing.messages[next]);
  });
  if (!changes) return changes.error();
  uidnext_ = listing.uidnext;
  modseq_ += changes->appeared.size() + changes->vanished.size() + changes->flags_changed.size();
  if (listing.settled) scanned_ = listing.stamp;
  else scanned_.reset();  // an equal stamp later proves nothing: look again then
  return changes;
}

Result<RefreshChanges> MaildirMailbox::take_view(std::vector<Current>& current, uint32_t uidvalidity,
                                                 const Look& look) {
  RefreshChanges changes;
  std::vector<MessageInfo> old = std::move(messages_);
  std::vector<std::string> old_names = std::move(names_);
  if (uidvalidity_ != 0 && uidvalidity != uidvalidity_) {
    uidvalidity_changed_ = true;
    for (const MessageInfo& m : old) changes.vanished.push_back(m.uid);
    old.clear();
    old_names.clear();
  }
  messages_.clear();
  names_.clear();
  messages_.reserve(current.size());
  names_.reserve(current.size());
  size_t j = 0;
  for (Current& c : current) {
    while (j < old.size() && old[j].uid < c.uid) changes.vanished.push_back(old[j++].uid);
    const bool known = j < old.size() && old[j].uid == c.uid;
    MessageInfo info;
    if (known && old_names[j] == c.name) {
      info = std::move(old[j]);
    } else if (known) {
      // A new name for a message in the view: its flags changed. The
      // listing is the proof it exists (the file is not looked at: it may
      // have been renamed again since, and taken as expunged it would be
      // gone from this session's view for good); its size and date are
      // those it had.
      MaildirFilename parsed = parse_maildir_filename(c.name);
      info = std::move(old[j]);
      info.flags = parsed.flags;
      info.keywords = keyword_names(parsed.keywords);
      info.path = fs::join(fs::join(dir_, "cur"), c.name);
      if (old[j].flags != info.flags || old[j].keywords != info.keywords) changes.flags_changed.push_back(c.uid);
    } else {
      auto looked = look(c);
      if (!looked) return looked.error();
      if (!*looked) continue;
      info = std::move(**looked);
      changes.appeared.push_back(c.uid);
    }
    if (known) ++j;
    messages_.push_back(std::move(info));
    names_.push_back(std::move(c.name));
  }
  while (j < old.size()) changes.vanished.push_back(old[j++].uid);
  uidvalidity_ = uidvalidity;
  return changes;
}

}  // namespace tern::store
