// Formatting of the SMTP client's MAIL and RCPT commands; see client_command.h.
#include "smtp/proto/client_command.h"

#include <fmt/format.h>

namespace tern::smtp {
namespace {

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

// "<local@domain>", or an error when the address cannot go on the wire.
Result<std::string> wire_path(const mail::Address& a, bool smtputf8, const char* bad_status) {
  std::string s = "<" + a.str() + ">";
  if (has_control(s)) return Error::with_dsn(bad_status, "control character in address " + s.substr(0, 64));
  if (!smtputf8 && mail::has_8bit(s))
    return Error::with_dsn("5.6.7", "non-ASCII address and the message does not use SMTPUTF8");
  return s;
}

// Decodes one UTF-8 character at s[i]; 0 on an invalid sequence.
size_t utf8_char(std::string_view s, size_t i, uint32_t& cp) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
  for (size_t k = 1; k < n; ++k) {
    unsigned char b = static_cast<unsigned char>(s[i + k]);
    if ((b >> 6) != 2) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

}  // namespace

std::string xtext_encode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (c < 0x21 || c > 0x7e || c == '+' || c == '=')
      out += fmt::format("+{:02X}", c);
    else
      out += static_cast<char>(c);
  }
  return out;
}

std::optional<std::string> utf8_addr_xtext(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size();) {
    uint32_t cp = 0;
    size_t n = utf8_char(in, i, cp);
    if (n == 0) return std::nullopt;
    if (cp < 0x21 || cp > 0x7e || cp == '+' || cp == '=' || cp == '\\')
      out += fmt::format("\\x{{{:X}}}", cp);
    else
      out += static_cast<char>(cp);
    i += n;
  }
  return out;
}

Result<std::string> format_mail_from(const mail::Address& sender, const MailParams& p, const EhloCapabilities& caps) {
  if (p.smtputf8 && !caps.smtputf8)
    return Error::with_dsn("5.6.7", "the message needs SMTPUTF8 and the server does not offer it");
  auto path = wire_path(sender, p.smtputf8, "5.1.7");
  if (!path) return path.error();
  std::string cmd = "MAIL FROM:" + *path;
  if (caps.size && p.size_bytes > 0) cmd += fmt::format(" SIZE={}", p.size_bytes);
  if (caps.eightbitmime && p.body == BodyType::eightbitmime) cmd += " BODY=8BITMIME";
  if (caps.eightbitmime && p.body == BodyType::sevenbit) cmd += " BODY=7BIT";
  if (p.smtputf8) cmd += " SMTPUTF8";
  if (caps.dsn && p.ret == DsnRet::full) cmd += " RET=FULL";
  if (caps.dsn && p.ret == DsnRet::hdrs) cmd += " RET=HDRS";
  if (caps.dsn && !p.envid.empty()) cmd += " ENVID=" + xtext_encode(p.envid);
  if (!caps.auth.empty() && p.auth) cmd += " AUTH=" + (p.auth->empty() ? std::string("<>") : xtext_encode(*p.auth));
  return cmd + "\r\n";
}

Result<std::string> format_rcpt_to(const mail::Address& rcpt, const RcptParams& p, const EhloCapabilities& caps,
                                   bool smtputf8) {
  auto path = wire_path(rcpt, smtputf8, "5.1.3");
  if (!path) return path.error();
  std::string cmd = "RCPT TO:" + *path;
  if (caps.dsn && p.notify) {
    if (p.notify & notify::never) {
      cmd += " NOTIFY=NEVER";
    } else {
      std::string v;
      for (auto [bit, name] : {std::pair{notify::success, "SUCCESS"}, std::pair{notify::failure, "FAILURE"},
                               std::pair{notify::delay, "DELAY"}})
        if (p.notify & bit) v += (v.empty() ? "" : ",") + std::string(name);
      cmd += " NOTIFY=" + v;
    }
  }
  if (caps.dsn && !p.orcpt_type.empty() && !p.orcpt.empty()) {
    // A non-ASCII original recipient travels as utf-8-addr-xtext, which is
    // ASCII and valid with or without SMTPUTF8 (RFC 6533 3); invalid UTF-8
    // leaves ORCPT out (it is optional, RFC 3461 4.2; a wrong one is worse).
    if (!mail::has_8bit(p.orcpt)) {
      cmd += " ORCPT=" + xtext_encode(p.orcpt_type) + ";" + xtext_encode(p.orcpt);
    } else if (auto x = utf8_addr_xtext(p.orcpt)) {
      cmd += " ORCPT=utf-8;" + *x;
    }
  }
  return cmd + "\r\n";
}

}  // namespace tern::smtp
