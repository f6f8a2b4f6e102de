// The real AccountOpener: a virtual account's folders are the Maildir++
// tree at the path delivery writes to (store::virtual_mailbox_path), read
// with store's MaildirStore (or, for an account whose passwd-file line has
// userdb_mail=mbox:..., store's MboxStore: INBOX an mbox file), so IMAP shows exactly what was delivered and
// what POP3 serves. The subscriptions file is Dovecot's, in the Maildir
// root. At each login the SPECIAL-USE folders (special_use.h) that are
// missing are created and subscribed, as Dovecot's `auto = subscribe`
// does; a failure there is logged and the login goes on.
#pragma once

#include <string>

#include "imap/server/host.h"
#include "store/mail_location.h"

namespace tern::imap {

class StoreAccounts final : public AccountOpener {
 public:
  // virtual_mailbox_base; empty: nobody has a mailbox (NO [UNAVAILABLE]).
  // quota: each account's rule (a malformed one is logged and treated as
  // no limit: the user can still read mail); none: no quotas.
  // mail: an account's userdb_mail (store/mail_location.h), if any, makes
  // its store an MboxStore (INBOX an mbox file); a location that cannot be
  // used is logged and the login gets NO [UNAVAILABLE].
  explicit StoreAccounts(std::string base, store::QuotaLookup quota = nullptr,
                         store::MailLocationLookup mail = nullptr)
      : base_(std::move(base)), quota_(std::move(quota)), mail_(std::move(mail)) {}
  Result<Account> open(const std::string& user) override;

 private:
  std::string base_;
  store::QuotaLookup quota_;
  store::MailLocationLookup mail_;
};

}  // namespace tern::imap
