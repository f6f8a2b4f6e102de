// Implementation of StoreMaildrops (see store_maildrop.h).
#include "pop3/server/store_maildrop.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/fd.h"
#include "store/mailbox_path.h"
#include "base/log.h"
#include "store/maildir_store.h"
#include "store/mbox_store.h"

namespace tern::pop3 {
namespace {

constexpr const char* kLockName = "tern-pop3.lock";
constexpr size_t kFileReadChunk = 64 * 1024;

class FdReader final : public MessageReader {
 public:
  explicit FdReader(UniqueFd fd) : fd_(std::move(fd)) {}
  Result<size_t> read(std::span<char> buf) override {
    for (;;) {
      ssize_t n = ::read(fd_.get(), buf.data(), std::min(buf.size(), kFileReadChunk));
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return Error::temp(fmt::format("read: {}", std::strerror(errno)));
    }
  }

 private:
  UniqueFd fd_;
};

class StoreMaildrop final : public Maildrop {
 public:
  StoreMaildrop(UniqueFd lock, std::unique_ptr<store::Mailbox> inbox, std::vector<MessageInfo> info,
                std::vector<uint32_t> uids)
      : lock_(std::move(lock)), inbox_(std::move(inbox)), info_(std::move(info)), uids_(std::move(uids)) {}
  const std::vector<MessageInfo>& messages() const override { return info_; }
  Result<std::unique_ptr<MessageReader>> open_message(size_t index) override {
    auto fd = inbox_->open_message(uids_.at(index));
    if (!fd) return fd.error();
    return std::unique_ptr<MessageReader>(std::make_unique<FdReader>(std::move(*fd)));
  }
  Status mark_seen(const std::vector<size_t>& indices) override {
    for (size_t i : indices) {
      auto r = inbox_->set_flags(uids_.at(i), store::kFlagSeen, 0);
      if (!r && !r.error().is_permanent()) return r.error();  // permanent: expunged meanwhile
    }
    return ok_status();
  }
  Status commit_deletions(const std::vector<size_t>& indices) override {
    std::vector<uint32_t> uids;
    for (size_t i : indices) uids.push_back(uids_.at(i));
    return uids.empty() ? ok_status() : inbox_->expunge_all(uids);
  }

 private:
  UniqueFd lock_;  // released last, after the mailbox is closed
  std::unique_ptr<store::Mailbox> inbox_;
  std::vector<MessageInfo> info_;
  std::vector<uint32_t> uids_;
};

OpenResult failed(OpenResult::Kind kind, std::string why) {
  OpenResult r;
  r.kind = kind;
  r.why = std::move(why);
  return r;
}

}  // namespace

std::string dovecot_uidl(uint32_t uid, uint32_t uidvalidity) { return fmt::format("{:08x}{:08x}", uid, uidvalidity); }

OpenResult StoreMaildrops::open(const std::string& user) {
  using Kind = OpenResult::Kind;
  std::optional<store::MailLocation> mbox;
  if (mail_) {
    auto loc = mail_(user);
    if (!loc) {
      log::warn("pop3: user={}: mail location refused: {}", user, loc.error().detail);
      return failed(Kind::temporary, "the account's mail location cannot be used");
    }
    mbox = std::move(*loc);
  }
  std::unique_ptr<store::MailStore> account;
  Result<std::string> root = std::string();
  if (mbox) {
    root = mbox->root + "/";
    // The root holds the lock file; made as listing would make it.
    if (auto l = std::make_unique<store::MaildirStore>(mbox->root)->list(); !l)
      return failed(Kind::temporary, l.error().detail);
    account = std::make_unique<store::MboxStore>(*mbox);
  } else {
    if (base_.empty()) return failed(Kind::temporary, "virtual_mailbox_base is not set");
    root = store::virtual_mailbox_path(base_, user);
    if (!root) return failed(Kind::temporary, root.error().detail);
    account = std::make_unique<store::MaildirStore>(*root);
  }
  // Opening INBOX creates the Maildir of an account that has had no mail
  // yet, as delivery would; the lock file goes in it.
  auto inbox = account->open("INBOX");
  if (!inbox) {
    if (mbox) log::warn("pop3: user={}: {}", user, inbox.error().detail);
    return failed(Kind::temporary, inbox.error().detail);
  }
  const std::string lock_path = *root + kLockName;
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock.valid()) return failed(Kind::temporary, fmt::format("{}: {}", lock_path, std::strerror(errno)));
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return failed(Kind::in_use, "another POP3 session has the maildrop");
    return failed(Kind::temporary, fmt::format("lock {}: {}", lock_path, std::strerror(errno)));
  }
  // The snapshot after the lock, so it has everything delivered until now.
  if (auto r = (*inbox)->refresh(); !r) return failed(Kind::temporary, r.error().detail);
  std::vector<MessageInfo> info;
  std::vector<uint32_t> uids;
  const uint32_t validity = (*inbox)->uidvalidity();
  for (const store::MessageInfo& m : (*inbox)->messages()) {
    auto size = (*inbox)->crlf_size(m.uid);
    if (!size) {
      if (size.error().is_permanent()) continue;  // expunged since the refresh
      return failed(Kind::temporary, size.error().detail);
    }
    info.push_back({dovecot_uidl(m.uid, validity), *size});
    uids.push_back(m.uid);
  }
  OpenResult r;
  r.kind = Kind::ok;
  r.drop = std::make_unique<StoreMaildrop>(std::move(lock), std::move(*inbox), std::move(info), std::move(uids));
  return r;
}

}  // namespace tern::pop3
