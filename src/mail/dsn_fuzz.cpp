// libFuzzer target: the DSN composer fed what a hostile server and sender
// control (the remote reply text and host name, the addresses, the
// original message). The report must keep its shape: exactly one set of
// boundary delimiters, one Diagnostic-Code field, and, outside the attached
// original (returned as it was), no CR, no NUL and no line over 998 bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mail/dsn.h"

using namespace tern::mail;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Splits the input at the first byte 0xff (fields are separated by it).
std::string_view take(std::string_view& in) {
  size_t sep = in.find('\xff');
  std::string_view f = in.substr(0, sep);
  in = sep == std::string_view::npos ? std::string_view() : in.substr(sep + 1);
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  uint8_t flags = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  DsnRecipient rc;
  rc.diagnostic = take(in);
  rc.remote_mta = take(in);
  rc.final_recipient = take(in);
  rc.original = take(in);
  rc.status = take(in);
  rc.action = static_cast<DsnAction>(flags % 5);
  rc.last_attempt = 1764666000;
  DsnReport r;
  r.reporting_mta = "mail.example.org";
  r.sender = "s@example.org";
  r.queue_id = "Q1";
  r.now = 1764666000;
  r.envid = take(in);
  r.ret = static_cast<DsnReturn>((flags >> 3) % 3);
  r.bounce_size_limit = (flags & 0x40) ? 64 : 50000;
  r.original = in;
  r.recipients.push_back(rc);

  DsnMessage m = compose_dsn(r);
  const std::string& c = m.content;
  size_t b = c.find("boundary=\"");
  check(b != std::string::npos);
  b += 10;
  std::string boundary = c.substr(b, c.find('"', b) - b);
  check(!boundary.empty());
  std::string delim = "--" + boundary;
  int delimiters = 0, diagnostics = 0;
  size_t attached_at = std::string::npos;
  for (size_t start = 0; start < c.size();) {
    size_t eol = c.find('\n', start);
    if (eol == std::string::npos) eol = c.size();
    std::string_view line(c.data() + start, eol - start);
    if (line.substr(0, delim.size()) == delim) {
      ++delimiters;
      if (delimiters == 3) attached_at = eol;
    }
    // Before the attached original (returned as it was): short, clean lines.
    if (delimiters < 3) {
      check(line.size() <= 998);
      check(line.find('\r') == std::string_view::npos && line.find('\0') == std::string_view::npos);
    }
    if (delimiters == 2 && line.substr(0, 16) == "Diagnostic-Code:") ++diagnostics;  // in the report part
    start = eol + 1;
  }
  check(delimiters == 4);
  check(diagnostics == (rc.diagnostic.empty() ? 0 : 1));
  check(attached_at != std::string::npos);
  check(c.size() >= 3 + delim.size() && c.substr(c.size() - delim.size() - 3) == delim + "--\n");
  return 0;
}
