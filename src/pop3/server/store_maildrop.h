// The real maildrops: a virtual account's INBOX, read through store's
// Maildir reader (store/maildir_store.h) at the path delivery writes to
// (store::virtual_mailbox_path), so POP3 serves exactly what was delivered
// and what IMAP shows.
//
// - UIDL is Dovecot's default (pop3_uidl_format = %08Xu%08Xv): the IMAP UID
//   and the folder's UIDVALIDITY in lower-case hex, so a client that moves between
//   tern and Dovecot on the same Maildir sees the same ids, and IMAP and
//   POP3 name a message alike.
// - Sizes are the message's octets with CRLF line ends, from the name's
//   ",W=" or counted once.
// - The one-session lock (RFC 1939 section 8) is an flock on the file
//   "tern-pop3.lock" in the account's Maildir, taken without waiting: it
//   holds across reloads (a new snapshot makes a new MaildropStore) and
//   between processes, and the kernel drops it when the session's
//   descriptor closes, whatever ended the session, kill -9 included.
// - Deletions at QUIT expunge by UID; a message IMAP expunged meanwhile is
//   simply gone already.
#pragma once

#include <string>

#include "pop3/server/maildrop.h"
#include "store/mail_location.h"

namespace tern::pop3 {

class StoreMaildrops final : public MaildropStore {
 public:
  // virtual_mailbox_base; empty: no account has a maildrop. mail: as
  // imap::StoreAccounts takes it (an account with userdb_mail=mbox:... is
  // served from its mbox INBOX; the session lock file then goes in the
  // location's root, e.g. ~/mail).
  explicit StoreMaildrops(std::string base, store::MailLocationLookup mail = nullptr)
      : base_(std::move(base)), mail_(std::move(mail)) {}
  OpenResult open(const std::string& user) override;

 private:
  std::string base_;
  store::MailLocationLookup mail_;
};

// Dovecot's default UIDL for a message: %08Xu%08Xv, which Dovecot 2.3
// prints in lower-case hex ("000000016b1069c1"): the UID, then UIDVALIDITY.
std::string dovecot_uidl(uint32_t uid, uint32_t uidvalidity);

}  // namespace tern::pop3
