// Implementation of the envelope address parser (see address.h).
#include "mail/address.h"

#include "base/strings.h"

namespace tern::mail {
namespace {

bool is_atext(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

bool valid_domain(std::string_view d, bool utf8) {
  if (d.empty() || d.size() > 255) return false;
  if (d.front() == '[') {  // address literal
    if (d.back() != ']' || d.size() < 3) return false;
    for (unsigned char c : d.substr(1, d.size() - 2))
      if (!(isalnum(c) || c == '.' || c == ':' || c == '-')) return false;
    return true;
  }
  size_t label = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(d[i]);
    if (c == '.') {
      if (label == 0 && i + 1 != d.size()) return false;  // empty label (a trailing dot is allowed)
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || (utf8 && c >= 0x80);
    if (!ok || ++label > 63) return false;
  }
  return true;
}

}  // namespace

bool has_8bit(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return true;
  return false;
}

std::string Address::str() const {
  if (is_null()) return "";
  bool needs_quotes = local.empty();
  bool prev_dot = true;
  for (unsigned char c : local) {
    if (c == '.') {
      if (prev_dot) needs_quotes = true;
      prev_dot = true;
      continue;
    }
    prev_dot = false;
    if (!is_atext(c) && c < 0x80) needs_quotes = true;
  }
  if (!local.empty() && local.back() == '.') needs_quotes = true;
  std::string out;
  if (needs_quotes) {
    out += '"';
    for (char c : local) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  } else {
    out = local;
  }
  if (!domain.empty()) {
    out += '@';
    out += domain;
  }
  return out;
}

std::string Address::domain_key() const {
  std::string d = str::lower(domain);
  if (!d.empty() && d.back() == '.') d.pop_back();
  return d;
}

Result<Address> parse_path(std::string_view s, const PathOptions& opt) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return Error::perm("control character in address");
  if (opt.require_brackets) {
    if (s.size() < 2 || s.front() != '<' || s.back() != '>') return Error::perm("address must be enclosed in <>");
    s = s.substr(1, s.size() - 2);
  } else if (s.size() >= 2 && s.front() == '<' && s.back() == '>') {
    s = s.substr(1, s.size() - 2);
  }
  if (s.empty()) {
    if (opt.allow_null) return Address{};
    return Error::perm("null address not allowed here");
  }
  if (!opt.allow_utf8 && has_8bit(s)) return Error::perm("8-bit address requires SMTPUTF8");
  // Source route: "@a,@b:" is dropped.
  if (s.front() == '@') {
    auto colon = s.find(':');
    if (colon == std::string_view::npos) return Error::perm("bad source route");
    s.remove_prefix(colon + 1);
  }
  Address a;
  size_t i = 0;
  if (!s.empty() && s.front() == '"') {
    ++i;
    bool closed = false;
    while (i < s.size()) {
      char c = s[i++];
      if (c == '\\') {
        if (i >= s.size()) return Error::perm("bad quoted local part");
        a.local += s[i++];
      } else if (c == '"') {
        closed = true;
        break;
      } else {
        a.local += c;
      }
    }
    if (!closed) return Error::perm("unterminated quoted local part");
    if (a.local.empty()) return Error::perm("empty local part");
  } else {
    size_t at = s.rfind('@');
    std::string_view local = at == std::string_view::npos ? s : s.substr(0, at);
    if (local.empty()) return Error::perm("empty local part");
    if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
      return Error::perm("bad dot-string in local part");
    for (unsigned char c : local)
      if (!(is_atext(c) || c == '.' || (c >= 0x80 && opt.allow_utf8))) return Error::perm("bad character in local part");
    a.local = std::string(local);
    i = local.size();
  }
  if (a.local.size() > 64 * 4) return Error::perm("local part too long");
  if (i == s.size()) {
    if (!opt.allow_no_domain) return Error::perm("domain missing");
    return a;
  }
  if (s[i] != '@') return Error::perm("garbage after local part");
  std::string_view domain = s.substr(i + 1);
  if (!valid_domain(domain, opt.allow_utf8)) return Error::perm("bad domain");
  a.domain = std::string(domain);
  return a;
}

LocalParts split_extension(std::string_view local, std::string_view delimiters) {
  if (delimiters.empty()) return {std::string(local), ""};
  auto p = local.find_first_of(delimiters);
  if (p == std::string_view::npos || p == 0) return {std::string(local), ""};
  return {std::string(local.substr(0, p)), std::string(local.substr(p + 1))};
}

}  // namespace tern::mail
