// The one mapping from a virtual account to its mailbox: the Maildir
// virtual_mailbox_base/domain/user/ (both lower-cased). Delivery uses it,
// and so will the IMAP and POP3 servers, so the layout is decided here and
// nowhere else; rewrite only names the account (domain, user).
//
// SECURITY: domain and user may come from a client (RCPT TO) or a
// passwd-file. Each must pass mail::check_account_part (one file name: not
// empty, no leading '.', no '/', no control bytes), and the result is
// checked to lie below base, so no input can name a directory outside it.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::store {

// "base/domain/user/" (with the trailing '/' that marks a Maildir). A
// permanent error (5.1.3) for a name that cannot be a mailbox, or an empty
// or relative-to-nothing base.
Result<std::string> virtual_mailbox_path(std::string_view base, std::string_view domain, std::string_view user);
// The same for "user@domain" (split at the last '@').
Result<std::string> virtual_mailbox_path(std::string_view base, std::string_view account);

}  // namespace tern::store
