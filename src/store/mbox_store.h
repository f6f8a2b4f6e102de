// An account whose INBOX is an mbox file (mail_location.h: userdb_mail=
// mbox:ROOT:INBOX=PATH), e.g. a system user's /var/mail/USER that mutt and
// Dovecot read too. INBOX is an MboxMailbox over PATH; every other folder
// is Maildir++ under ROOT (MaildirStore: ROOT/.Sent/ etc.), not mbox files
// as Dovecot's mbox: would keep them: folders tern creates are then as
// crash-safe and cheap to change as a Maildir account's, and only INBOX,
// the file other programs share, has mbox's costs. (A Dovecot configured
// with the same mail= line sees INBOX alike but not those folders.) ROOT's
// own cur/, new/ and tmp/ exist (MaildirStore makes them) but stay empty.
#pragma once

#include <memory>
#include <string>

#include "store/mail_location.h"
#include "store/mailbox.h"
#include "store/maildir_store.h"

namespace tern::store {

class MboxStore final : public MailStore {
 public:
  explicit MboxStore(MailLocation loc) : loc_(std::move(loc)), rest_(loc_.root) {}

  Result<std::unique_ptr<Mailbox>> open(std::string_view folder) override;
  Result<std::vector<std::string>> list() override { return rest_.list(); }  // "INBOX" first already
  Status create(std::string_view folder) override { return rest_.create(folder); }
  Status remove(std::string_view folder) override { return rest_.remove(folder); }
  Status rename(std::string_view from, std::string_view to) override { return rest_.rename(from, to); }
  std::unique_ptr<ChangeHub::Watch> watch(std::string_view folder, ChangeHub::Callback cb) override {
    return is_inbox(folder) ? MailStore::watch(folder, std::move(cb)) : rest_.watch(folder, std::move(cb));
  }
  std::vector<std::pair<std::string, std::string>> renames_since(uint64_t* cursor) override {
    return rest_.renames_since(cursor);
  }
  std::unique_ptr<ChangeHub::Watch> watch_names(ChangeHub::Callback cb) override {
    return rest_.watch_names(std::move(cb));
  }

 private:
  MailLocation loc_;
  MaildirStore rest_;
};

}  // namespace tern::store
