// Where an account's mail lives when its passwd-file line says so, in
// Dovecot's words: the extra field `userdb_mail=mbox:~/mail:INBOX=/var/mail/%u`
// (the "userdb_" prefix optional, as for userdb_quota_rule) makes the
// account an mbox account (mbox_store.h): INBOX is that file, the other
// folders live under the root (~/mail). Without the field the account stays
// the Maildir at virtual_mailbox_path.
//
// Expansion: %u the user as logged in, %n its local part, %d its domain, %%
// a '%', and a leading ~ the line's home field. Nothing else is expanded.
//
// SECURITY: the user name comes from the client (checked by the verifier)
// and the result names files tern writes: a result that is relative, holds
// an empty, "." or ".." component, or a control byte, or uses an unknown
// %-sequence or ~ without a home, is refused (an error the caller logs; the
// client gets NO [UNAVAILABLE]).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::store {

struct MailLocation {
  std::string root;   // other folders, e.g. /home/u/mail
  std::string inbox;  // the INBOX mbox file, e.g. /var/mail/u
};

// nullopt when extra has no mail= field (or one for another format: only
// "mbox:" is known; others are an error, so they are not silently ignored).
Result<std::optional<MailLocation>> mail_location_from_extra(std::string_view extra, std::string_view user,
                                                             std::string_view home);

// The account's location (nullopt: the Maildir as before), looked up at
// login from the passwd-file; wired in roles/services.cpp.
using MailLocationLookup = std::function<Result<std::optional<MailLocation>>(const std::string& user)>;

// One path with the expansions above, checked.
Result<std::string> expand_mail_path(std::string_view tmpl, std::string_view user, std::string_view home);

}  // namespace tern::store
