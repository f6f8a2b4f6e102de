// The SMTP client's commands: MAIL FROM and RCPT TO with their ESMTP
// parameters (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 3461
// RET/ENVID/NOTIFY/ORCPT, RFC 4954 AUTH=), formatted for what the server
// offers in its EHLO reply, and RFC 3461 xtext encoding.
//
// SECURITY: the fields come from the queue file, which the SMTP server and
// sendmail filled from untrusted input. No byte below 0x20 nor DEL ever
// reaches the wire through a command: ENVID, ORCPT and AUTH are
// xtext-encoded, and an address holding one is refused (permanent, 5.1.7
// for the sender, 5.1.3 for a recipient). A non-ASCII address without
// SMTPUTF8, or SMTPUTF8 needed and not offered, is refused with 5.6.7
// (RFC 6531 3.6), which the caller turns into a bounce.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "mail/address.h"
#include "smtp/proto/ehlo_parser.h"

namespace tern::smtp {

enum class BodyType { unspecified, sevenbit, eightbitmime };
enum class DsnRet { unspecified, full, hdrs };

// NOTIFY= values (RFC 3461 4.1); 0 means "not given" (the server's default).
namespace notify {
constexpr unsigned never = 1, success = 2, failure = 4, delay = 8;
}

struct MailParams {
  uint64_t size_bytes = 0;  // SIZE=; 0 = unknown, not sent
  BodyType body = BodyType::unspecified;
  bool smtputf8 = false;             // the message needs SMTPUTF8
  DsnRet ret = DsnRet::unspecified;  // RET=, sent when the server offers DSN
  std::string envid;                 // ENVID= (decoded); empty = none
  std::optional<std::string> auth;   // AUTH= mailbox (decoded); "" sends AUTH=<>
};

struct RcptParams {
  unsigned notify = 0;     // bits of notify::
  std::string orcpt_type;  // "rfc822" (or "utf-8"); empty = no ORCPT
  std::string orcpt;       // the original recipient (decoded)
};

// "MAIL FROM:<sender> SIZE=123 BODY=8BITMIME ...\r\n". Parameters the server
// did not offer are left out, except SMTPUTF8, whose absence is an error.
Result<std::string> format_mail_from(const mail::Address& sender, const MailParams& p, const EhloCapabilities& caps);
// "RCPT TO:<rcpt> NOTIFY=FAILURE,DELAY ORCPT=rfc822;u+2Bx@example.com\r\n";
// NOTIFY and ORCPT only when the server offers DSN.
Result<std::string> format_rcpt_to(const mail::Address& rcpt, const RcptParams& p, const EhloCapabilities& caps,
                                   bool smtputf8);

// RFC 3461 4: '+', '=', and bytes outside 0x21-0x7e become "+XX".
std::string xtext_encode(std::string_view in);
// RFC 6533 3: utf-8-addr-xtext for ORCPT=utf-8;... (ASCII, so valid with or
// without SMTPUTF8): '+', '=', '\', controls
// and non-ASCII characters become "\x{HEX}". Fails on invalid UTF-8.
std::optional<std::string> utf8_addr_xtext(std::string_view in);

}  // namespace tern::smtp
