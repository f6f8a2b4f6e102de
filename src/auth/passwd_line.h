// Internal to auth: one line of a passwd-file. parse_passwd_file uses it for
// the whole file, and UserDb uses it to edit single lines while keeping the
// admin's comments and layout.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/user_db.h"
#include "base/result.h"

namespace tern::auth {

// nullopt for a blank or comment line; errors name filename:lineno.
Result<std::optional<User>> parse_passwd_line(std::string_view line, const std::string& filename, int lineno);

// The password field with a Dovecot "{SCHEME}" prefix removed; an error (no
// file:line, the caller adds it) for a scheme that is not a crypt(3) string.
Result<std::string> strip_scheme(std::string_view field);

// Ok for "local@domain" or a plain user name: no white space, control
// characters or ':', at most one '@' with text on both sides.
Status check_address(std::string_view address);

}  // namespace tern::auth
