// Delivery status notifications (RFC 3464; RFC 6533 for internationalized
// mail): the pure composer of the bounce, delay warning or success report
// that tern sends from MAILER-DAEMON to the envelope sender. The caller
// (the scheduler's bounce step, issue 9) decides when to send one and to
// whom (never the null sender: a failed bounce goes to postmaster, it is
// not bounced again); this file decides what it says.
//
// The result is one message for many recipients: a multipart/report with a
// plain-words first part, the message/delivery-status part, and the
// original message (message/rfc822) or only its header (text/rfc822-headers)
// for RET=HDRS, for delay and success reports, and when the message is over
// bounce_size_limit. Line ends are LF, as in queue content; the SMTP client
// turns them into CRLF on the wire.
//
// SECURITY: the remote reply text (diagnostic), the remote host name and
// the addresses may hold anything a hostile server or sender put there.
// Every field built from them has each control byte replaced ('?'), is cut
// to a bounded length and folded, so no CR or LF from them can start a new
// header field or MIME part; the boundary is chosen so that no line of the
// included original begins with it.
#pragma once

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace tern::mail {

enum class DsnAction { failed, delayed, delivered, relayed, expanded };
enum class DsnReturn { unspecified, full, headers };  // RET= of the original MAIL

struct DsnRecipient {
  std::string final_recipient;           // the address tried ("user@example.com")
  std::string original_type = "rfc822";  // ORCPT address type
  std::string original;                  // ORCPT address, decoded; empty = none given
  DsnAction action = DsnAction::failed;
  std::string status;                    // RFC 3463 "5.1.1"; a malformed one becomes x.0.0
  std::string remote_mta;                // host name that answered; empty = none
  std::string diagnostic_type = "smtp";  // "smtp" for a remote reply, "X-tern" for ours
  std::string diagnostic;                // the remote reply ("550 5.1.1 ...") or our reason
  std::time_t last_attempt = 0;          // 0 = not given
  std::time_t will_retry_until = 0;      // delayed only; 0 = not given
};

struct DsnReport {
  std::string reporting_mta;  // myhostname
  std::string sender;         // the envelope sender, the report's To:
  std::string queue_id;
  std::string envid;  // ENVID of the original, decoded; empty = none
  DsnReturn ret = DsnReturn::unspecified;
  std::time_t arrival = 0;           // when the original was queued; 0 = not given
  std::time_t now = 0;               // the report's Date:
  std::string message_id;            // "<...>" for the report, made by the caller
  size_t bounce_size_limit = 50000;  // Postfix's default
  std::vector<DsnRecipient> recipients;
  std::string_view original;  // the original message, LF line ends
};

struct DsnMessage {
  std::string content;        // the complete message, header and body, LF line ends
  bool eight_bit = false;     // needs BODY=8BITMIME (an 8-bit original is attached)
  bool smtputf8 = false;      // needs SMTPUTF8 (RFC 6533 global types were used)
  bool headers_only = false;  // the original's header, not the whole message, is attached
};

DsnMessage compose_dsn(const DsnReport& report);

// The Subject: and first-part wording follow the most serious action of the
// recipients: failed, then delayed, then the success kinds.
DsnAction dsn_main_action(const std::vector<DsnRecipient>& recipients);

}  // namespace tern::mail
