// MaildirMailbox's AppendDraft: a message written piece by piece, then put
// into cur/ with its UID (maildir_mailbox.h's commit). Where the file
// system and /proc allow, the draft is an unnamed file (O_TMPFILE) in cur/
// itself, linked in under its name at the end: its fsync then flushes the
// file alone, where a file of tmp/ also makes ext4 flush tmp/ (a new name
// in a directory), a flush no reader needs since the file moves on; and a
// draft that is dropped, or a crash, leaves nothing behind. Elsewhere the
// draft is a file of tmp/, as the Maildir rule has it, renamed into cur/
// at the end and removed if the draft is dropped. Either way the final
// name carries ",S=" and ",W=", known only at the end, and the file is
// fsynced before it is placed. INTERNALDATE is the file's mtime; the
// access time stays "now", so that tmp/'s cleaner (which removes only files
// both old in mtime and atime) never takes a draft dated in the past.
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

#include "base/fs.h"
#include "store/maildir_mailbox.h"
#include "store/maildir_name.h"

namespace tern::store {

namespace {

// Whether this process can name its descriptors under /proc (looked at
// once): an unnamed draft is linked in by that name.
bool proc_fd_names() {
  static const bool ok = ::access("/proc/self/fd", X_OK) == 0;
  return ok;
}

std::atomic<bool> g_named_only{false};

}  // namespace

class MaildirDraft final : public AppendDraft {
 public:
  // unnamed: fd is an O_TMPFILE of cur/; else name is its name in tmp/.
  MaildirDraft(MaildirMailbox& box, std::string name, UniqueFd fd, bool unnamed)
      : box_(box),
        name_(std::move(name)),
        fd_(std::move(fd)),
        path_(unnamed ? fs::join(fs::join(box.dir_, "cur"), "(new message)")
                      : fs::join(fs::join(box.dir_, "tmp"), name_)),
        unnamed_(unnamed) {}
  ~MaildirDraft() override {
    if (!done_ && !unnamed_) ::unlinkat(box_.tmp_fd_.get(), name_.c_str(), 0);
  }

  Status write(std::string_view bytes) override {
    if (done_ || !fd_.valid()) return Error::temp(fmt::format("{}: append already finished", path_));
    // The size with CRLF line ends, counted across pieces (crlf_size of the whole).
    for (char c : bytes) {
      vsize_ += (c == '\n' && last_ != '\r') ? 2 : 1;
      last_ = c;
    }
    size_ += bytes.size();
    Status st = fs::write_all(fd_.get(), bytes, path_);
    if (!st) fd_.reset();  // no more writes; the destructor removes the file
    return st;
  }

  Result<uint32_t> commit(MessageFlags flags, const std::vector<std::string>& keywords,
                          int64_t internal_date_s) override {
    if (done_ || !fd_.valid()) return Error::temp(fmt::format("{}: append already finished", path_));
    // Keyword letters go into the name, so the message appears with them.
    auto letters = box_.letters_for(keywords, true);
    if (!letters) return letters.error();
    if (internal_date_s > 0) {
      struct timespec times[2] = {{0, UTIME_NOW}, {internal_date_s, 0}};
      if (::futimens(fd_.get(), times) != 0) return fs::errno_error("set time of", path_, errno);
    }
    if (Status st = fs::fsync_fd(fd_.get(), path_); !st) return st.error();
    const std::string cur_name = format_maildir_filename(maildir_sized_name(name_, size_, vsize_), flags, *letters);
    done_ = true;  // commit removes a tmp/ file itself if it fails
    if (unnamed_) {
      auto uid = box_.commit({"", fd_.get(), cur_name});
      fd_.reset();
      return uid;
    }
    if (::close(fd_.release()) != 0) return fs::errno_error("close", path_, errno);
    return box_.commit({name_, -1, cur_name});
  }

 private:
  MaildirMailbox& box_;
  std::string name_;
  UniqueFd fd_;
  std::string path_;
  uint64_t size_ = 0, vsize_ = 0;
  char last_ = 0;
  bool unnamed_ = false;
  bool done_ = false;
};

void MaildirMailbox::set_named_drafts_only(bool on) { g_named_only.store(on, std::memory_order_relaxed); }

Result<std::unique_ptr<AppendDraft>> MaildirMailbox::begin_append() {
  if (Status st = reacquire(); !st) return st.error();
  if (Status st = check_not_deleted(); !st) return st.error();
  if (!g_named_only.load(std::memory_order_relaxed) && proc_fd_names()) {
    // O_TMPFILE fails on file systems without it (EOPNOTSUPP, EISDIR on
    // old kernels): the draft then goes to tmp/.
    UniqueFd fd(::openat(cur_fd_.get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
    if (fd.valid())
      return std::unique_ptr<AppendDraft>(new MaildirDraft(*this, maildir_unique_base(), std::move(fd), true));
  }
  const std::string tmp_path = fs::join(dir_, "tmp");
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::string name = maildir_unique_base();
    UniqueFd fd(::openat(tmp_fd_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.valid())
      return std::unique_ptr<AppendDraft>(new MaildirDraft(*this, std::move(name), std::move(fd), false));
    if (errno != EEXIST) return fs::errno_error("create in", tmp_path, errno);
  }
  return Error::temp(fmt::format("{}: no unique file name", tmp_path));
}

}  // namespace tern::store
