// The passwd-file parser and writer: Dovecot's format
//   user:password:uid:gid:gecos:home:shell:extra
// Only the user field is required. Lines whose first non-blank character is
// '#' and blank lines are skipped; a trailing CR is ignored. The extra field
// is the rest of the line and may itself hold ':' (as Dovecot's
// "userdb_mail=maildir:~/Maildir"). Users are lower-cased; a user listed
// twice keeps the first entry, as Dovecot does. An entry whose name cannot
// be a mailbox name (mail/account_name.h: '/', a leading '.', control
// bytes) is skipped with a warning naming file:line; the rest stays usable.
//
// SECURITY: reads an admin-written file holding password hashes. Fields are
// data: nothing is expanded, and no skipped name ever reaches a path. Error messages quote file content only through
// str::printable and never quote the password field.
#include <fmt/format.h>

#include <unordered_map>

#include "auth/passwd_line.h"
#include "auth/user_db.h"
#include "base/log.h"
#include "base/strings.h"
#include "mail/account_name.h"

namespace tern::auth {
namespace {

// Dovecot scheme names whose value is a crypt(3) string.
constexpr std::string_view kCryptSchemes[] = {"CRYPT",        "YESCRYPT",  "SHA512-CRYPT",
                                              "SHA256-CRYPT", "BLF-CRYPT", "MD5-CRYPT"};

constexpr int kFieldCount = 8;

bool has_line_break_or_nul(std::string_view s) {
  return s.find_first_of(std::string_view("\n\r\0", 3)) != std::string_view::npos;
}

}  // namespace

Status check_address(std::string_view a) {
  if (a.empty()) return Error::perm("missing user name");
  for (unsigned char c : a) {
    if (c <= 0x20 || c == 0x7f)
      return Error::perm(fmt::format("user '{}' contains white space or a control character", str::printable(a)));
    if (c == ':') return Error::perm(fmt::format("user '{}' contains ':'", str::printable(a)));
  }
  auto at = a.find('@');
  if (at == std::string_view::npos) return ok_status();  // a plain user name, as Dovecot allows
  if (a.find('@', at + 1) != std::string_view::npos || at == 0 || at + 1 == a.size())
    return Error::perm(fmt::format("user '{}' is not local@domain or a plain user name", str::printable(a)));
  return ok_status();
}

Result<std::string> strip_scheme(std::string_view field) {
  if (field.empty() || field.front() != '{') return std::string(field);
  auto close = field.find('}');
  if (close == std::string_view::npos) return Error::perm("password field has '{' but no closing '}'");
  std::string_view scheme = field.substr(1, close - 1);
  for (auto known : kCryptSchemes)
    if (str::iequals(scheme, known)) return std::string(field.substr(close + 1));
  return Error::perm(fmt::format("password scheme {{{}}} cannot be verified by tern", str::printable(scheme, 40)));
}

Result<std::optional<User>> parse_passwd_line(std::string_view line, const std::string& filename, int lineno) {
  auto fail = [&](std::string_view why) { return Error::perm(fmt::format("{}:{}: {}", filename, lineno, why)); };
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string_view t = str::trim(line);
  if (t.empty() || t.front() == '#') return std::optional<User>();
  if (line.find('\0') != std::string_view::npos) return fail("line contains a NUL byte");
  if (line.find('\r') != std::string_view::npos) return fail("line contains a carriage return before its end");

  std::string_view f[kFieldCount];
  std::string_view rest = line;
  for (int i = 0; i < kFieldCount; ++i) {
    auto colon = i + 1 < kFieldCount ? rest.find(':') : std::string_view::npos;
    f[i] = rest.substr(0, colon);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }

  if (Status st = check_address(f[0]); !st) return fail(st.error().detail);
  User u;
  u.address = str::lower(f[0]);
  auto pw = strip_scheme(f[1]);
  if (!pw)
    return fail(
        fmt::format("user '{}': {}; re-hash with `tern user passwd`", str::printable(u.address), pw.error().detail));
  if (Status st = check_crypt_string(*pw); !st)
    return fail(
        fmt::format("user '{}': {}; re-hash with `tern user passwd`", str::printable(u.address), st.error().detail));
  u.password = std::move(*pw);
  u.uid = f[2];
  u.gid = f[3];
  u.gecos = f[4];
  u.home = f[5];
  u.shell = f[6];
  u.extra = f[7];
  return std::optional<User>(std::move(u));
}

Result<std::vector<User>> parse_passwd_file(std::string_view text, const std::string& filename) {
  std::vector<User> users;
  std::unordered_map<std::string, int> first_line;  // address -> line it was defined on
  int lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    auto parsed = parse_passwd_line(line, filename, lineno);
    if (!parsed) return parsed.error();
    if (!*parsed) continue;
    User& u = **parsed;
    if (Status st = mail::check_account_name(u.address); !st) {
      // Skipped, not fatal: the other accounts stay usable (docs/behaviour.md).
      log::warn("{}:{}: entry skipped: {}", filename, lineno, st.error().detail);
      continue;
    }
    auto [it, inserted] = first_line.emplace(u.address, lineno);
    if (!inserted) {
      log::warn("{}:{}: duplicate entry for '{}' ignored (keeping line {})", filename, lineno,
                str::printable(u.address), it->second);
      continue;
    }
    users.push_back(std::move(u));
  }
  return users;
}

std::string format_passwd_line(const User& u) {
  const std::string* f[kFieldCount] = {&u.address, &u.password, &u.uid, &u.gid, &u.gecos, &u.home, &u.shell, &u.extra};
  int n = kFieldCount;
  while (n > 2 && f[n - 1]->empty()) --n;
  std::string line = *f[0];
  for (int i = 1; i < n; ++i) {
    line += ':';
    line += *f[i];
  }
  return line;
}

Status check_user(const User& u) {
  if (Status st = check_address(u.address); !st) return st;
  if (Status st = mail::check_account_name(u.address); !st) return st;
  if (Status st = check_crypt_string(u.password); !st) return st;
  const std::pair<const char*, const std::string*> fields[] = {
      {"uid", &u.uid}, {"gid", &u.gid}, {"gecos", &u.gecos}, {"home", &u.home}, {"shell", &u.shell}};
  for (auto [name, value] : fields)
    if (value->find(':') != std::string::npos || has_line_break_or_nul(*value))
      return Error::perm(fmt::format("{} field contains ':', a line break or a NUL byte", name));
  if (has_line_break_or_nul(u.extra)) return Error::perm("extra field contains a line break or a NUL byte");
  return ok_status();
}

}  // namespace tern::auth
