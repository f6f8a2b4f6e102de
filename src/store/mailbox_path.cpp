// Implementation of the account-to-mailbox mapping (see mailbox_path.h).
#include "store/mailbox_path.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "mail/account_name.h"

namespace tern::store {

Result<std::string> virtual_mailbox_path(std::string_view base, std::string_view domain_in, std::string_view user_in) {
  if (base.empty()) return Error::with_dsn("5.3.5", "virtual_mailbox_base is empty");
  std::string domain = str::lower(domain_in);
  std::string user = str::lower(user_in);
  for (const std::string* part : {&domain, &user})
    if (Status st = mail::check_account_part(*part); !st) return Error::with_dsn("5.1.3", st.error().detail);
  std::string root(base);
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root != "/") root += '/';
  // Each part is one file name, so the result is two levels below base.
  return root + domain + "/" + user + "/";
}

Result<std::string> virtual_mailbox_path(std::string_view base, std::string_view account) {
  auto at = account.rfind('@');
  if (at == std::string_view::npos)
    return Error::with_dsn("5.1.3", fmt::format("'{}' is not user@domain", str::printable(account, 80)));
  return virtual_mailbox_path(base, account.substr(at + 1), account.substr(0, at));
}

}  // namespace tern::store
