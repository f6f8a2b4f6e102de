// The account database for virtual mailbox domains, in Dovecot's passwd-file
// format so a Dovecot site can bring its own:
//   user@domain:{SCHEME}hash-or-crypt-string:uid:gid:gecos:home:shell:extra
// Only the first two fields are required. Passwords are crypt(3) strings from
// libxcrypt: yescrypt ($y$) for new ones; SHA512-CRYPT ($6$) and bcrypt
// ($2b$/$2y$) are read. A "{SCHEME}" prefix as Dovecot writes it
// ({SHA512-CRYPT}, {BLF-CRYPT}, {CRYPT}, {YESCRYPT}) is accepted and stripped.
//
// SECURITY: the file is read as data; no field is expanded or executed.
// Writes (add, del, passwd) rewrite the whole file atomically under an
// exclusive lock on PATH.lock.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"

namespace tern::auth {

struct User {
  std::string address;   // lower-cased "user@domain"
  std::string password;  // crypt string (scheme prefix stripped), may be empty = no login
  std::string uid, gid, gecos, home, shell, extra;  // as in the file, may be empty
};

// Parses passwd-file text; errors name file:line. A user listed twice keeps
// the first entry (a warning is logged), as Dovecot does; a user whose name
// fails mail::check_account_name is skipped with a warning naming file:line.
Result<std::vector<User>> parse_passwd_file(std::string_view text, const std::string& filename);
// "user:password:uid:gid:gecos:home:shell:extra" without trailing empty fields
// (at least "user:password").
std::string format_passwd_line(const User& u);
// Ok if u can be written as one line and read back unchanged: a valid
// address that is also a mailbox name (mail/account_name.h), a password
// check_crypt_string accepts, no ':' outside extra, no line breaks or NUL
// bytes anywhere.
Status check_user(const User& u);

// Hash a new password with yescrypt (crypt_gensalt_rn + crypt_rn).
Result<std::string> hash_password(std::string_view password);
// Constant-time verify against any crypt string libxcrypt understands.
bool verify_password(std::string_view password, std::string_view crypt_string);
// Ok if verify_password can check crypt_string: "" (no login), a locked
// entry ("!..." or "*..."), or a "$id$..." string libxcrypt supports.
// Plain text and DES crypt are refused.
Status check_crypt_string(std::string_view crypt_string);

class UserDb {
 public:
  // spec: "passwd-file:/path". A missing file is an empty database.
  static Result<std::shared_ptr<UserDb>> open(std::string_view spec);
  std::optional<User> find(std::string_view address) const;  // case-insensitive
  const std::vector<User>& users() const { return users_; }
  const std::string& path() const { return path_; }

  // Mutations re-read the file under lock, change it and write it atomically.
  Status add(const User& u);                     // perm error if it exists
  Status remove(std::string_view address);       // perm error if missing
  Status set_password(std::string_view address, const std::string& crypt_string);

 private:
  // Runs edit on the file's lines under the lock, then writes the result.
  Status modify(const std::function<Status(std::vector<std::string>& lines)>& edit);
  void set_users(std::vector<User> users);

  std::string path_;
  std::vector<User> users_;
  std::unordered_map<std::string, size_t> index_;  // address -> users_ index
};

}  // namespace tern::auth
