// The real AccountOpener: a virtual account's folders are the Maildir++
// tree at the path delivery writes to (store::virtual_mailbox_path), read
// with store's MaildirStore, so IMAP shows exactly what was delivered and
// what POP3 serves. The subscriptions file is Dovecot's, in the Maildir
// root. At each login the SPECIAL-USE folders (special_use.h) that are
// missing are created and subscribed, as Dovecot's `auto = subscribe`
// does; a failure there is logged and the login goes on.
#pragma once

#include <string>

#include "imap/server/host.h"

namespace tern::imap {

class StoreAccounts final : public AccountOpener {
 public:
  // virtual_mailbox_base; empty: nobody has a mailbox (NO [UNAVAILABLE]).
  // quota: each account's rule (a malformed one is logged and treated as
  // no limit: the user can still read mail); none: no quotas.
  explicit StoreAccounts(std::string base, store::QuotaLookup quota = nullptr)
      : base_(std::move(base)), quota_(std::move(quota)) {}
  Result<Account> open(const std::string& user) override;

 private:
  std::string base_;
  store::QuotaLookup quota_;
};

}  // namespace tern::imap
