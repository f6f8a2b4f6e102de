// userdb_mail parsing and path expansion (see mail_location.h).
#include "store/mail_location.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace tern::store {

Result<std::string> expand_mail_path(std::string_view tmpl, std::string_view user, std::string_view home) {
  std::string out;
  size_t i = 0;
  if (tmpl.starts_with("~")) {
    if (home.empty() || home.front() != '/') return Error::perm("mail location uses ~ but the account has no absolute home");
    out.assign(home);
    i = 1;
  }
  auto at = user.rfind('@');
  std::string_view local = at == std::string_view::npos ? user : user.substr(0, at);
  std::string_view domain = at == std::string_view::npos ? std::string_view() : user.substr(at + 1);
  for (; i < tmpl.size(); ++i) {
    if (tmpl[i] != '%') {
      out += tmpl[i];
      continue;
    }
    if (++i == tmpl.size()) return Error::perm("mail location ends in '%'");
    switch (tmpl[i]) {
      case 'u': out += user; break;
      case 'n': out += local; break;
      case 'd': out += domain; break;
      case '%': out += '%'; break;
      default: return Error::perm(fmt::format("mail location: unknown %{}", tmpl[i]));
    }
  }
  if (out.empty() || out.front() != '/') return Error::perm(fmt::format("mail location '{}' is not absolute", str::printable(out)));
  for (unsigned char c : out)
    if (c < 0x20 || c == 0x7f) return Error::perm("mail location holds a control byte");
  for (std::string_view part : str::split(std::string_view(out).substr(1), '/'))
    if (part.empty() || part == "." || part == "..")
      return Error::perm(fmt::format("mail location '{}' has an empty, '.' or '..' component", str::printable(out)));
  return out;
}

Result<std::optional<MailLocation>> mail_location_from_extra(std::string_view extra, std::string_view user,
                                                             std::string_view home) {
  for (std::string_view field : str::split(extra, ' ')) {
    if (field.starts_with("userdb_")) field.remove_prefix(7);
    if (!field.starts_with("mail=")) continue;
    std::string_view spec = field.substr(5);
    if (!spec.starts_with("mbox:")) return Error::perm(fmt::format("mail={}: only mbox: is known", str::printable(spec)));
    spec.remove_prefix(5);
    MailLocation loc;
    std::string_view root_t = spec, inbox_t;
    for (size_t pos = 0;;) {  // ROOT[:INBOX=PATH]
      size_t colon = spec.find(':', pos);
      if (colon == std::string_view::npos) break;
      std::string_view opt = spec.substr(colon + 1);
      if (opt.starts_with("INBOX=")) {
        root_t = spec.substr(0, colon);
        inbox_t = opt.substr(6);
        if (inbox_t.find(':') != std::string_view::npos) return Error::perm("mail=mbox: unknown option after INBOX=");
        break;
      }
      return Error::perm(fmt::format("mail=mbox: unknown option '{}'", str::printable(opt)));
    }
    if (inbox_t.empty()) return Error::perm("mail=mbox: needs INBOX=<path of the mbox file>");
    auto root = expand_mail_path(root_t, user, home);
    if (!root) return root.error();
    auto inbox = expand_mail_path(inbox_t, user, home);
    if (!inbox) return inbox.error();
    loc.root = *root;
    loc.inbox = *inbox;
    return std::optional<MailLocation>(std::move(loc));
  }
  return std::optional<MailLocation>();
}

}  // namespace tern::store
