// libFuzzer target for the SMTP client session: the remote server's bytes
// come from the fuzz input over an in-memory stream, time is a FakeClock
// and TLS is faked (client_harness.h).
//
// Input: one byte of options, then the server's bytes cut into segments:
//   options: bit 0 PIPELINING used, bit 1 CHUNKING used, bits 2-3 the TLS
//   level (none, may, encrypt, verify), bit 4 credentials given, bit 5
//   SMTPUTF8 needed, bit 6 8-bit content, bit 7 three recipients (else one);
//   "~~~"   the server waits for the client to read before what follows;
//   "~~+N~" the same, then N seconds (1-4 digits) of silence;
//   "~~!"   the server stalls (the rest is ignored).
// Without a stall the input ends with the server closing the connection.
//
// Invariants:
//   - the session ends (never hangs) and every recipient gets exactly one
//     outcome (sent, deferred or bounced) with a dsn of the same class and
//     a diagnostic free of control bytes;
//   - the content is never sent with no recipient accepted nor after a
//     refused DATA, and a recipient is "sent" only if the content went;
//   - the password never goes out outside TLS.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "smtp/client/client_harness.h"

using namespace tern;
using namespace tern::smtp::client;

namespace {

// The content is lines of 14 bytes (16 with CRLF, the BDAT chunk size), so
// no chunk header splits the marker line.
constexpr std::string_view kMarker = "MMMMMMMMMMMMMM";

std::deque<io::Segment> segments(std::string_view in) {
  std::deque<io::Segment> out;
  std::string cur;
  size_t i = 0;
  while (i < in.size()) {
    if (in.substr(i, 3) == "~~~") {
      out.emplace_back(std::move(cur)), out.emplace_back(std::string()), cur.clear();
      i += 3;
    } else if (in.substr(i, 3) == "~~!") {
      out.emplace_back(std::move(cur));
      out.push_back(io::Segment::stall());
      return out;
    } else if (in.substr(i, 3) == "~~+") {
      size_t j = i + 3, n = 0;
      while (j < in.size() && j < i + 7 && in[j] >= '0' && in[j] <= '9') n = n * 10 + (in[j++] - '0');
      if (j < in.size() && in[j] == '~' && j > i + 3) {
        out.emplace_back(std::move(cur)), cur.clear();
        out.push_back(io::Segment::after(std::chrono::seconds(n)));
        i = j + 1;
      } else {
        cur += in[i++];
      }
    } else {
      cur += in[i++];
    }
  }
  if (!cur.empty()) out.emplace_back(std::move(cur));
  return out;
}

bool clean(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

size_t count(const std::string& hay, std::string_view needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  uint8_t opt = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  harness::FakeTlsClient tls;
  Settings s;
  s.helo_name = "client.example";
  s.pipelining = opt & 1;
  s.chunking = opt & 2;
  s.tls = static_cast<TlsLevel>((opt >> 2) & 3);
  s.tls_client = &tls;
  s.bdat_chunk_bytes = 16;
  if (opt & 16) s.auth = Credentials{"user", "fuzzsecret"};
  // Short limits so that inputs reach them with small waits.
  s.helo_timeout = s.mail_timeout = s.rcpt_timeout = s.data_init_timeout = s.data_xfer_timeout =
      s.data_done_timeout = s.starttls_timeout = s.quit_timeout = std::chrono::seconds(10);
  Envelope env;
  env.sender = "s@example.org";
  env.smtputf8 = opt & 32;
  env.eightbit = opt & 64;
  env.recipients = {{"a@example.com", "SUCCESS", "rfc822;a@example.com"}};
  if (opt & 128) env.recipients.push_back({"b@example.com", "", ""}), env.recipients.push_back({"c@example.com", "", ""});
  std::string content = ".MMMMMMMMMMMMM\n" + std::string(kMarker) + "\n";

  auto r = harness::run(segments(in), s, env, content);
  if (r.hung || !r.finished) abort();
  if (r.result.recipients.size() != env.recipients.size()) abort();
  bool content_sent = count(r.transcript.written, kMarker) > 0;
  bool any_accepted = false;
  for (const auto& rc : r.result.recipients) {
    char cls = rc.outcome == smtp::Outcome::sent      ? '2'
               : rc.outcome == smtp::Outcome::bounced ? '5'
               : rc.outcome == smtp::Outcome::deferred ? '4'
                                                       : 0;
    if (!cls || rc.dsn.size() < 5 || rc.dsn[0] != cls) abort();
    if (rc.diagnostic.empty() || !clean(rc.diagnostic)) abort();
    if (rc.outcome == smtp::Outcome::sent && !content_sent) abort();
    if (content_sent && rc.diagnostic.find("(in reply to DATA command)") != std::string::npos) abort();
    any_accepted |= rc.rcpt_accepted;
  }
  if (content_sent && !any_accepted) abort();
  // base64 of "\0user\0fuzzsecret" (PLAIN) and of "fuzzsecret" (LOGIN)
  for (std::string_view secret : {"AHVzZXIAZnV6enNlY3JldA==", "ZnV6enNlY3JldA=="}) {
    size_t all = count(r.transcript.written, secret), inside = count(tls.log->written_inside, secret);
    if (all != inside) abort();
  }
  return 0;
}
