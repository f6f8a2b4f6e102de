// The DSN composer (RFC 3464, RFC 6533); see dsn.h for the contract.
#include "mail/dsn.h"

#include <algorithm>
#include <initializer_list>

#include "base/time.h"
#include "mail/address.h"
#include "mail/dsn_text.h"

namespace tern::mail {
namespace {

using dsn_text::clean;
using dsn_text::field;

// Bounds on text from outside, so that a folded word never passes the
// 998-byte line limit of RFC 5322 and a report stays readable.
constexpr size_t kMaxDiagnostic = 900;
constexpr size_t kMaxAddress = 512;
constexpr size_t kMaxHost = 255;

const char* action_name(DsnAction a) {
  switch (a) {
    case DsnAction::failed:
      return "failed";
    case DsnAction::delayed:
      return "delayed";
    case DsnAction::delivered:
      return "delivered";
    case DsnAction::relayed:
      return "relayed";
    case DsnAction::expanded:
      return "expanded";
  }
  return "failed";
}

std::string status_of(const DsnRecipient& r) {
  if (dsn_text::valid_status(r.status)) return r.status;
  return r.action == DsnAction::failed ? "5.0.0" : r.action == DsnAction::delayed ? "4.0.0" : "2.0.0";
}

// An address for a header or report field: RFC 6533's "utf-8" type when
// it is not ASCII (the report then uses the global types).
std::string address_field(std::string_view type, std::string_view addr) {
  std::string a = clean(addr, kMaxAddress, false);
  std::string t = has_8bit(a) ? "utf-8" : clean(type.empty() ? "rfc822" : type, 32, true);
  return t + "; " + a;
}

// The header section of a message: up to and including the blank line's
// first LF, or all of it when there is no body.
std::string_view header_section(std::string_view msg) {
  if (msg.substr(0, 1) == "\n") return msg.substr(0, 0);
  size_t end = msg.find("\n\n");
  return end == std::string_view::npos ? msg : msg.substr(0, end + 1);
}

// Cuts a header section to at most limit bytes, before a field that does not fit.
std::string_view cut_headers(std::string_view h, size_t limit) {
  if (h.size() <= limit) return h;
  size_t end = 0;
  for (size_t i = 0; i < h.size() && i < limit; ++i)
    if (h[i] == '\n' && i + 1 <= limit && (i + 1 >= h.size() || (h[i + 1] != ' ' && h[i + 1] != '\t'))) end = i + 1;
  return h.substr(0, end);
}

// A boundary that no line of the parts begins with (RFC 2046 5.1.1). The
// first choice is predictable (queue ID, time, host), so an original or an
// address may hold it; a suffix is then added until none does.
std::string pick_boundary(const DsnReport& r, std::initializer_list<std::string_view> parts) {
  std::string base;
  for (char c : r.queue_id + "." + std::to_string(r.now) + "/" + r.reporting_mta)
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '-')
      base += c;
  base = base.substr(0, 60);
  std::vector<std::string_view> dashed;  // lines starting with "--" + base
  std::string prefix = "--" + base;
  for (std::string_view text : parts) {
    for (size_t i = 0; i < text.size();) {
      size_t eol = text.find('\n', i);
      std::string_view line = text.substr(i, eol == std::string_view::npos ? std::string_view::npos : eol - i);
      if (line.substr(0, prefix.size()) == prefix) dashed.push_back(line.substr(2));
      if (eol == std::string_view::npos) break;
      i = eol + 1;
    }
  }
  std::string b = base;
  for (size_t n = 1;; ++n) {
    bool clash =
        std::any_of(dashed.begin(), dashed.end(), [&](std::string_view l) { return l.substr(0, b.size()) == b; });
    if (!clash) return b;
    b = base + "=_" + std::to_string(n);
  }
}

const char* subject_for(DsnAction a) {
  switch (a) {
    case DsnAction::failed:
      return "Undelivered Mail Returned to Sender";
    case DsnAction::delayed:
      return "Delayed Mail (still being retried)";
    default:
      return "Successful Mail Delivery Report";
  }
}

std::string opening(DsnAction a, const DsnReport& r, bool headers_only) {
  std::string host = clean(r.reporting_mta, kMaxHost, true);
  std::string t = "This is the mail system at host " + host + ".\n\n";
  std::string attached =
      headers_only ? "The header of your message is attached below." : "Your message is attached below.";
  switch (a) {
    case DsnAction::failed:
      t += dsn_text::wrap(
          "Your message could not be delivered to one or more of its recipients. The mail "
          "system has given up on them; the reasons are listed below. " +
              attached,
          "");
      t += "\n" + dsn_text::wrap("If you need help, write to postmaster at this host and include this report.", "");
      break;
    case DsnAction::delayed:
      t += dsn_text::wrap(
          "Your message has not yet been delivered to one or more of its recipients. This is "
          "only a warning: the mail system keeps trying, and you need not send the message "
          "again. The reasons for the delay are listed below.",
          "");
      break;
    default:
      t += dsn_text::wrap(
          "Your message was delivered to, or passed on for, the recipients listed below, as "
          "you asked. A recipient marked \"relayed\" went to a system that sends no further "
          "reports.",
          "");
  }
  return t;
}

std::string recipient_paragraph(const DsnRecipient& rc) {
  std::string who = "<" + clean(rc.final_recipient, kMaxAddress, false) + ">";
  if (!rc.original.empty() && rc.original != rc.final_recipient)
    who += " (originally <" + clean(rc.original, kMaxAddress, false) + ">)";
  std::string what = std::string(action_name(rc.action)) + ", status " + status_of(rc);
  if (!rc.remote_mta.empty())
    what += "; host " + clean(rc.remote_mta, kMaxHost, true) + " said:";
  else if (!rc.diagnostic.empty())
    what += ":";
  std::string out = dsn_text::wrap(who + ": " + what, "");
  if (!rc.diagnostic.empty()) out += dsn_text::wrap(clean(rc.diagnostic, kMaxDiagnostic, true), "    ");
  return out + "\n";
}

std::string per_recipient_fields(const DsnRecipient& rc) {
  std::string f;
  if (!rc.original.empty()) f += field("Original-Recipient", address_field(rc.original_type, rc.original));
  f += field("Final-Recipient", address_field("rfc822", rc.final_recipient));
  f += field("Action", action_name(rc.action));
  f += field("Status", status_of(rc));
  if (!rc.remote_mta.empty()) f += field("Remote-MTA", "dns; " + clean(rc.remote_mta, kMaxHost, true));
  if (!rc.diagnostic.empty())
    f += field("Diagnostic-Code", clean(rc.diagnostic_type.empty() ? "smtp" : rc.diagnostic_type, 32, true) + "; " +
                                      clean(rc.diagnostic, kMaxDiagnostic, true));
  if (rc.last_attempt) f += field("Last-Attempt-Date", rfc5322_date(rc.last_attempt));
  if (rc.action == DsnAction::delayed && rc.will_retry_until)
    f += field("Will-Retry-Until", rfc5322_date(rc.will_retry_until));
  return f;
}

}  // namespace

DsnAction dsn_main_action(const std::vector<DsnRecipient>& recipients) {
  bool delayed = false;
  for (auto& r : recipients) {
    if (r.action == DsnAction::failed) return DsnAction::failed;
    if (r.action == DsnAction::delayed) delayed = true;
  }
  if (delayed) return DsnAction::delayed;
  return recipients.empty() ? DsnAction::failed : recipients.front().action;
}

DsnMessage compose_dsn(const DsnReport& r) {
  DsnMessage m;
  DsnAction main = dsn_main_action(r.recipients);

  // What of the original goes back: the whole message for a failure unless
  // the sender asked for headers (RET=HDRS) or it is over the limit; only
  // the header for delay and success reports unless RET=FULL.
  bool want_full = r.ret == DsnReturn::full || (r.ret == DsnReturn::unspecified && main == DsnAction::failed);
  m.headers_only = !want_full || r.original.size() > r.bounce_size_limit;
  std::string_view attached =
      m.headers_only ? cut_headers(header_section(r.original), r.bounce_size_limit) : r.original;
  std::string_view attached_headers = header_section(attached);

  // RFC 6533: non-ASCII in the original's header or in an address makes this
  // an internationalized report; 8-bit only in the body needs 8BITMIME.
  bool global = has_8bit(attached_headers) || has_8bit(r.sender);
  for (auto& rc : r.recipients) global = global || has_8bit(rc.final_recipient) || has_8bit(rc.original);
  m.smtputf8 = global;
  m.eight_bit = global || has_8bit(attached);

  std::string host = clean(r.reporting_mta, kMaxHost, true);

  // 1: plain words.
  std::string human = opening(main, r, m.headers_only) + "\n";
  for (auto& rc : r.recipients) human += recipient_paragraph(rc);

  // 2: the machine-readable report.
  std::string report = field("Reporting-MTA", "dns; " + host);
  if (!r.queue_id.empty()) report += field("X-Tern-Queue-ID", clean(r.queue_id, 64, true));
  if (!r.envid.empty()) report += field("Original-Envelope-Id", clean(r.envid, 100, true));
  if (!r.sender.empty()) report += field("X-Tern-Sender", address_field("rfc822", r.sender));
  if (r.arrival) report += field("Arrival-Date", rfc5322_date(r.arrival));
  for (auto& rc : r.recipients) report += "\n" + per_recipient_fields(rc);

  std::string boundary = pick_boundary(r, {human, report, attached});
  std::string& c = m.content;
  c += field("From", "MAILER-DAEMON@" + host + " (Mail Delivery System)");
  c += field("To", "<" + clean(r.sender, kMaxAddress, false) + ">");
  c += field("Subject", subject_for(main));
  c += field("Date", rfc5322_date(r.now));
  if (!r.message_id.empty()) c += field("Message-Id", clean(r.message_id, kMaxAddress, true));
  c += field("Auto-Submitted", "auto-replied");  // RFC 3834: never answered automatically
  c += "MIME-Version: 1.0\n";
  c += field("Content-Type", std::string("multipart/report; report-type=") +
                                 (global ? "global-delivery-status;" : "delivery-status;") + " boundary=\"" + boundary +
                                 "\"");
  if (m.eight_bit) c += "Content-Transfer-Encoding: 8bit\n";
  c += "\nThis is a MIME-encapsulated message.\n\n";

  c += "--" + boundary + "\n";
  c += "Content-Description: Notification\n";
  c += std::string("Content-Type: text/plain; charset=") + (global ? "utf-8" : "us-ascii") + "\n";
  if (global) c += "Content-Transfer-Encoding: 8bit\n";
  c += "\n" + human;

  c += "--" + boundary + "\n";
  c += "Content-Description: Delivery report\n";
  c += std::string("Content-Type: ") + (global ? "message/global-delivery-status" : "message/delivery-status") + "\n";
  if (global) c += "Content-Transfer-Encoding: 8bit\n";
  c += "\n" + report + "\n";

  // 3: the original, or its header.
  c += "--" + boundary + "\n";
  if (m.headers_only) {
    c += "Content-Description: Undelivered Message Headers\n";
    c += std::string("Content-Type: ") + (global ? "message/global-headers" : "text/rfc822-headers") + "\n";
  } else {
    c += std::string("Content-Description: ") +
         (main == DsnAction::failed ? "Undelivered Message" : "Delivered Message") + "\n";
    c += std::string("Content-Type: ") + (global ? "message/global" : "message/rfc822") + "\n";
  }
  if (has_8bit(attached)) c += "Content-Transfer-Encoding: 8bit\n";
  c += "\n";
  c += attached;
  if (!attached.empty() && attached.back() != '\n') c += "\n";
  c += "\n--" + boundary + "--\n";
  return m;
}

}  // namespace tern::mail
