// MaildirMailbox's AppendDraft: a message written into the folder's tmp/
// piece by piece, then moved into cur/ with its UID (maildir_mailbox.h's
// commit_tmp). The file in tmp/ has a name without sizes until the end,
// when its ",S=" and ",W=" are known; it is fsynced before the move, and
// removed if the draft is dropped. INTERNALDATE is the file's mtime; the
// access time stays "now", so that tmp/'s cleaner (which removes only files
// both old in mtime and atime) never takes a draft dated in the past.
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "store/maildir_mailbox.h"
#include "store/maildir_name.h"

namespace tern::store {

class MaildirDraft final : public AppendDraft {
 public:
  MaildirDraft(MaildirMailbox& box, std::string name, UniqueFd fd)
      : box_(box), name_(std::move(name)), fd_(std::move(fd)), path_(fs::join(fs::join(box.dir_, "tmp"), name_)) {}
  ~MaildirDraft() override {
    if (!done_) ::unlinkat(box_.tmp_fd_.get(), name_.c_str(), 0);
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
    if (::close(fd_.release()) != 0) return fs::errno_error("close", path_, errno);
    done_ = true;  // commit_tmp removes the tmp file itself if it fails
    std::string base = maildir_sized_name(name_, size_, vsize_);
    return box_.commit_tmp(name_, format_maildir_filename(base, flags, *letters));
  }

 private:
  MaildirMailbox& box_;
  std::string name_;
  UniqueFd fd_;
  std::string path_;
  uint64_t size_ = 0, vsize_ = 0;
  char last_ = 0;
  bool done_ = false;
};

Result<std::unique_ptr<AppendDraft>> MaildirMailbox::begin_append() {
  if (Status st = reacquire(); !st) return st.error();
  if (Status st = check_not_deleted(); !st) return st.error();
  const std::string tmp_path = fs::join(dir_, "tmp");
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::string name = maildir_unique_base();
    UniqueFd fd(::openat(tmp_fd_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.valid()) return std::unique_ptr<AppendDraft>(new MaildirDraft(*this, std::move(name), std::move(fd)));
    if (errno != EEXIST) return fs::errno_error("create in", tmp_path, errno);
  }
  return Error::temp(fmt::format("{}: no unique file name", tmp_path));
}

}  // namespace tern::store
