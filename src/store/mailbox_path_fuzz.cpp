// libFuzzer target: the account-to-mailbox mapping. Whatever the account,
// the result is an error or base/<name>/<name>/ where neither name is "",
// "." or ".." or holds a '/' or a control byte: no input leaves the base.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/mailbox_path.h"

namespace {

bool one_safe_name(std::string_view n) {
  if (n.empty() || n.front() == '.') return false;
  for (unsigned char c : n)
    if (c == '/' || c < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view account(reinterpret_cast<const char*>(data), size);
  const std::string base = "/srv/vmail";
  auto r = tern::store::virtual_mailbox_path(base, account);
  if (!r) return 0;
  const std::string& p = *r;
  if (p.compare(0, base.size() + 1, base + "/") != 0 || p.back() != '/') __builtin_trap();
  std::string_view rest(p);
  rest.remove_prefix(base.size() + 1);
  rest.remove_suffix(1);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) __builtin_trap();
  if (!one_safe_name(rest.substr(0, slash)) || !one_safe_name(rest.substr(slash + 1))) __builtin_trap();
  return 0;
}
