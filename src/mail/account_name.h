// What an account name may be. A virtual account's local part and domain
// each become one directory under virtual_mailbox_base (store/mailbox_path.h),
// so both must be usable as a single file name: the user database refuses
// other names when it reads or adds them, and the mailbox mapping refuses
// them again whatever it is given. It lives in mail, below both auth (layer
// 3) and store (layer 4), so that the two apply the one rule.
//
// SECURITY: names come from an admin-written passwd-file and, through RCPT
// TO, from any client. Refused: empty, a leading '.' (so ".", ".." and
// Maildir++ folder names), '/', NUL and other control bytes, DEL, and more
// than 255 bytes (NAME_MAX).
#pragma once

#include <string_view>

#include "base/result.h"

namespace tern::mail {

// Ok if part (a local part or a domain) can name exactly one directory.
Status check_account_part(std::string_view part);
// Ok for "local@domain" (split at the last '@') or a plain user name, as
// Dovecot allows, whose parts pass check_account_part.
Status check_account_name(std::string_view account);

}  // namespace tern::mail
