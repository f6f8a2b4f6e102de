// Host name validation (see hostname.h).
#include "dns/hostname.h"

#include "base/strings.h"

namespace tern::dns {

namespace {
bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
}  // namespace

std::string hostname_problem(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return "empty name";
  if (name.size() > kMaxNameLength) return "name longer than 253 bytes";
  bool all_numeric = true;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    std::string_view label = name.substr(start, dot - start);
    if (label.empty()) return "empty label";
    if (label.size() > kMaxLabelLength) return "label longer than 63 bytes";
    for (char c : label) {
      if (!is_alnum(c) && c != '-' && c != '_') return "character other than letters, digits, '-' and '_'";
      if (!(c >= '0' && c <= '9')) all_numeric = false;
    }
    if (label.front() == '-' || label.back() == '-') return "label starting or ending with '-'";
    start = dot + 1;
  }
  // "192.0.2.1" or "12345": an address, not a name (RFC 1123 §2.1; Postfix's
  // valid_hostname refuses numeric names too).
  if (all_numeric) return "numeric name (an address must be written in brackets: [192.0.2.1])";
  return "";
}

std::string canonical_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return str::lower(name);
}

}  // namespace tern::dns
