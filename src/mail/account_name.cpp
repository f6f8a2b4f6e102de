// Implementation of the account name rule (see account_name.h).
#include "mail/account_name.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace tern::mail {

namespace {

constexpr size_t kNameMax = 255;  // NAME_MAX on Linux file systems

}  // namespace

Status check_account_part(std::string_view part) {
  auto bad = [&](std::string_view why) {
    return Error::perm(fmt::format("'{}' cannot be a mailbox name: {}", str::printable(part, 80), why));
  };
  if (part.empty()) return bad("it is empty");
  if (part.front() == '.') return bad("it starts with '.'");
  if (part.size() > kNameMax) return bad("it is longer than 255 bytes");
  for (unsigned char c : part) {
    if (c == '/') return bad("it contains '/'");
    if (c < 0x20 || c == 0x7f) return bad("it contains a NUL or control byte");
  }
  return ok_status();
}

Status check_account_name(std::string_view account) {
  auto at = account.rfind('@');
  if (at == std::string_view::npos) return check_account_part(account);
  if (Status st = check_account_part(account.substr(0, at)); !st) return st;
  return check_account_part(account.substr(at + 1));
}

}  // namespace tern::mail
