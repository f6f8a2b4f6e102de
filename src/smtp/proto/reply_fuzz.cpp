// libFuzzer target: the SMTP client's view of a hostile server
// (RELIABILITY.md #45). Replies parsed whole and in chunks must agree;
// every reply is bounded and free of control bytes; EHLO capabilities are
// bounded; a command formatted from reply-derived text never carries a
// CR or LF before its end; xtext round-trips.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/proto/client_command.h"
#include "smtp/proto/command.h"
#include "smtp/proto/ehlo_parser.h"
#include "smtp/proto/reply_parser.h"

using namespace tern::smtp;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Run {
  std::vector<Reply> replies;
  ReplyError error = ReplyError::none;
};

Run parse(std::string_view in, size_t chunk, const ReplyLimits& lim) {
  Run run;
  ReplyParser p(lim);
  for (size_t i = 0; i < in.size() && run.error == ReplyError::none; i += chunk) {
    p.feed(in.substr(i, chunk));
    for (;;) {
      auto n = p.next();
      if (n.kind == ReplyParser::Kind::need_more) break;
      if (n.kind == ReplyParser::Kind::error) {
        run.error = n.error;
        break;
      }
      run.replies.push_back(n.reply);
    }
  }
  return run;
}

void check_reply(const Reply& r, const ReplyLimits& lim) {
  check(r.code >= 200 && r.code <= 599);
  check(!r.lines.empty() && r.lines.size() <= lim.max_reply_lines);
  check(r.enhanced.empty() || r.enhanced[0] == static_cast<char>('0' + r.code / 100));
  for (auto& l : r.lines) {
    check(l.size() <= lim.max_line_bytes);
    for (unsigned char c : l) check(c >= 0x20 && c != 0x7f);
  }
  std::string s = reply_summary(r, 256);
  check(s.size() <= 256 + 3);
  for (unsigned char c : s) check(c >= 0x20 && c < 0x7f);

  auto caps = parse_ehlo(r);
  check(caps.auth.size() <= 32);
  check(caps.size_limit < (uint64_t(1) << 63));
  for (auto& m : caps.auth) check(!m.empty() && m.size() <= 20);
  for (unsigned char c : caps.server_name) check(c > 0x20 && c < 0x7f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the read size, so replies split at every place.
  size_t chunk = 1 + data[0] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  ReplyLimits lim;
  lim.max_line_bytes = 128;  // small limits, so the fuzzer reaches them
  lim.max_reply_bytes = 2048;
  lim.max_reply_lines = 20;

  Run whole = parse(in, in.size() ? in.size() : 1, lim);
  Run split = parse(in, chunk, lim);
  check(whole.error == split.error);
  check(whole.replies.size() == split.replies.size());
  for (size_t i = 0; i < whole.replies.size(); ++i) {
    check(whole.replies[i].code == split.replies[i].code);
    check(whole.replies[i].enhanced == split.replies[i].enhanced);
    check(whole.replies[i].lines == split.replies[i].lines);
    check_reply(whole.replies[i], lim);
  }

  // Reply text in the fields of a command (a server's words never reach a
  // command, but the queue's fields come from other untrusted peers).
  EhloCapabilities caps;
  caps.size = caps.eightbitmime = caps.smtputf8 = caps.dsn = true;
  caps.auth = {"PLAIN"};
  std::string text(in.substr(0, 200));
  MailParams mp;
  mp.envid = text;
  mp.auth = text;
  mp.smtputf8 = true;
  tern::mail::Address a{text, "example.com"};
  for (auto cmd :
       {format_mail_from(a, mp, caps), format_rcpt_to(a, RcptParams{notify::failure, "rfc822", text}, caps, true)}) {
    if (!cmd) continue;
    std::string_view c = *cmd;
    check(c.size() >= 2 && c.substr(c.size() - 2) == "\r\n");
    for (unsigned char ch : c.substr(0, c.size() - 2)) check(ch >= 0x20 && ch != 0x7f);
  }
  std::string back;
  bool printable = true;
  for (unsigned char ch : text) printable = printable && ch >= 0x20 && ch != 0x7f;
  if (printable) {
    check(xtext_decode(xtext_encode(text), back));
    check(back == text);
  }
  return 0;
}
