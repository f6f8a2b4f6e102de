// libFuzzer target for the whole SMTP session: commands, pipelining,
// DATA/BDAT framing, limits, error counting and deadlines, driven over an
// in-memory stream with fake services and a fake clock (session_harness.h;
// smtpd_timeout is 10 s there).
//
// Input: the client's bytes, cut into segments by markers:
//   "~~~"     the client waits for the server's replies before what follows
//             (nothing of it is available before the session reads), and
//             sends a segment in one go (a pipelined group);
//   "~~+N~"   the same, and the client then waits N seconds (1 to 4 digits)
//             of fake time before sending what follows;
//   "~~!"     the client stalls: sends nothing more and keeps the connection
//             open (the rest of the input is ignored).
// Any other "~" is a byte. Without a stall the input ends with the client
// closing the connection. Input that starts with a marker is a polite
// client; otherwise its first segment is there before the greeting (an
// early talker).
//
// Invariants, checked against a small model of the client's side (the
// commands it sent, framed with the pure parsers of smtp/proto, and the
// fake time each byte was sent at):
//   - one reply per command, in order, pipelined groups included, and a
//     second reply only for DATA (354, then the end of data); after AUTH's
//     334, each client line (up to 12288 bytes) gets the next 334 or the
//     final reply, and only AUTH gets a 334;
//   - nothing after 221, 421 or 554 5.5.0, and the stream closed after it;
//   - no message committed twice, one commit per "queued as", content within
//     message_size_limit;
//   - replies are well-formed SMTP (code, separator, CRLF);
//   - deadlines (RELIABILITY.md #25): the session moves its deadline when a
//     command line is complete, when DATA/BDAT content starts and when a
//     message ends, and inside content only after 64 KiB (session.h,
//     cmd_data.cpp). A `421 4.4.2` timeout comes exactly smtpd_timeout after
//     the deadline was last moved, and only if the client's next line (or
//     the rest of the content) had not come by then; it must come if the
//     client was silent, or trickled, for longer; a stalled client always
//     gets it, once, and the stream is closed;
//   - the run ends (no read left waiting with no deadline to end it);
//   - STARTTLS (over the fake TLS layer of fake_tls.h: the handshake
//     succeeds when the client's next byte is 0x16): nothing the client
//     sent in plaintext after STARTTLS is answered, neither in plaintext nor
//     inside TLS, where the replies answer exactly the bytes read inside
//     TLS; EHLO lists STARTTLS only before TLS; inside TLS, MAIL before a
//     new HELO/EHLO gets 503 and STARTTLS gets 503; a failed handshake
//     closes with no further reply. (A session that switched to TLS is
//     walked by check_tls_session, without the deadline model.)
#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "base/log.h"
#include "smtp/proto/command.h"
#include "smtp/proto/data_reader.h"
#include "smtp/proto/line_splitter.h"
#include "smtp/server/session_harness.h"

namespace {

using namespace tern::smtp;

struct ServerReply {
  int code = 0;
  std::string first_line;
  std::string text;  // every line, for the EHLO keywords
};

// Splits the server's output into replies; aborts on a malformed line.
std::vector<ServerReply> parse_replies(std::string_view out) {
  std::vector<ServerReply> replies;
  bool continuing = false;
  int code = 0;
  std::string first, all;
  while (!out.empty()) {
    size_t eol = out.find("\r\n");
    if (eol == std::string_view::npos || eol < 3) std::abort();  // unterminated or short reply line
    std::string_view line = out.substr(0, eol);
    out.remove_prefix(eol + 2);
    for (int i = 0; i < 3; ++i)
      if (line[i] < '0' || line[i] > '9') std::abort();
    int c = std::atoi(std::string(line.substr(0, 3)).c_str());
    if (continuing && c != code) std::abort();  // a multi-line reply changed its code
    if (!continuing) {
      first = std::string(line);
      all.clear();
    }
    all.append(line).append("\n");
    code = c;
    char sep = line.size() > 3 ? line[3] : ' ';
    if (sep != ' ' && sep != '-') std::abort();
    continuing = sep == '-';
    if (!continuing) replies.push_back({code, first, all});
    for (char ch : line)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) std::abort();  // raw control byte in a reply
  }
  if (continuing) std::abort();
  return replies;
}

bool hangs_up(const ServerReply& r) {
  return r.code == 221 || r.code == 421 || (r.code == 554 && r.first_line.find("5.5.0") != std::string::npos);
}

bool is_timeout(const ServerReply& r) { return r.code == 421 && r.first_line.find("4.4.2") != std::string::npos; }

// Fake seconds since the start of the session.
using Secs = long long;
constexpr Secs kNever = LLONG_MAX / 4;

// The client, as the fuzz input describes it.
struct Client {
  std::deque<tern::io::Segment> segments;
  std::string bytes;                            // every byte it sends, in order
  std::vector<std::pair<size_t, Secs>> sent_at;  // (offset, time) where the time changes
  Secs end = 0;                                 // when it closes (kNever: it stalls)
  // When the byte at `offset` was sent (bytes not sent: when it closes).
  Secs time_of(size_t offset) const {
    if (offset >= bytes.size()) return end;
    auto it = std::upper_bound(sent_at.begin(), sent_at.end(), std::make_pair(offset, kNever));
    return it == sent_at.begin() ? 0 : std::prev(it)->second;
  }
};

Client parse_client(std::string_view in) {
  Client c;
  Secs now = 0;
  std::string seg;  // bytes of the segment being read
  auto end_segment = [&] {
    if (seg.empty()) return;
    c.sent_at.emplace_back(c.bytes.size(), now);
    c.bytes += seg;
    c.segments.emplace_back(std::move(seg));
    seg.clear();
  };
  for (size_t pos = 0;;) {
    size_t m = in.find("~~", pos);
    if (m == std::string_view::npos) {
      seg.append(in.substr(pos));
      break;
    }
    seg.append(in.substr(pos, m - pos));
    std::string_view rest = in.substr(m + 2);
    size_t d = rest.find_first_not_of("0123456789", 1);  // after "+N"
    if (!rest.empty() && rest[0] == '~') {
      end_segment();
      c.segments.emplace_back("");  // pause: wait for the replies
      pos = m + 3;
    } else if (!rest.empty() && rest[0] == '!') {
      end_segment();
      c.segments.push_back(tern::io::Segment::stall());
      c.end = kNever;
      return c;
    } else if (rest.size() > 2 && rest[0] == '+' && d != std::string_view::npos && d >= 2 && d <= 5 && rest[d] == '~') {
      end_segment();
      Secs n = std::atoll(std::string(rest.substr(1, d - 1)).c_str());
      c.segments.push_back(tern::io::Segment::after(std::chrono::seconds(n)));
      now += n;
      pos = m + 2 + d + 1;
    } else {
      seg += '~';  // a lone "~" is a byte
      pos = m + 1;
    }
  }
  end_segment();
  c.end = now;
  return c;
}

// AUTH's continuation lines (RFC 4954): each client line after a 334 (up to
// kSaslLineBytes) is answered by the next 334 or the final reply.
// `deadline(kind, start)` is told of each line as the session hands it out
// and returns true when the session timed out before it (the walk is over).
// Returns false when the client stopped mid-way (or stalls).
template <class Take, class Deadline>
bool follow_sasl(LineSplitter& lines, size_t command_line_bytes, const bool& over, Take take, Deadline deadline) {
  for (;;) {
    lines.set_max_line_bytes(kSaslLineBytes);
    size_t before = lines.pending_size();
    auto n = lines.next();
    lines.set_max_line_bytes(command_line_bytes);
    if (n.kind == LineSplitter::Kind::need_more) return false;
    if (deadline(n.kind, before)) return true;
    const auto& r = take();
    if (n.kind == LineSplitter::Kind::flood) {
      if (r.code != 421) std::abort();
      return true;
    }
    if (n.kind == LineSplitter::Kind::too_long && r.code != 500 && !over) std::abort();
    if (r.code != 334 || over) return true;
  }
}

// The walk for a session whose client got 220 to STARTTLS: the plaintext
// part (all the client sent; replies up to that 220, none after it), then,
// after a handshake, the part inside TLS (the bytes the session read
// through the fake TLS stream, and the replies it wrote through it).
void check_tls_session(std::string_view client_bytes, const tern::io::MemoryStream::Transcript& t,
                       const harness::FakeTlsLog& tl, const SessionLimits& lim) {
  if (tl.written_inside.size() > t.written.size()) std::abort();
  if (!tl.handshake_ok && !tl.written_inside.empty()) std::abort();
  auto replies = parse_replies(std::string_view(t.written).substr(0, t.written.size() - tl.written_inside.size()));
  auto inside_replies = parse_replies(tl.written_inside);
  if (replies.empty()) std::abort();
  bool over = hangs_up(replies[0]);
  // Returns true when the walk stopped at a 220 to STARTTLS.
  auto walk = [&](std::string_view bytes, const std::vector<ServerReply>& rs, size_t i, bool inside) {
    bool helo_seen = false;
    bool starttls_ok = false;
    LineSplitter lines(lim.command_line_bytes, 256 * 1024);
    lines.feed(bytes);
    auto take = [&]() -> const ServerReply& {
      if (i >= rs.size()) std::abort();  // a command without a reply
      const ServerReply& r = rs[i++];
      if (hangs_up(r)) over = true;
      return r;
    };
    while (!over) {
      auto next = lines.next();
      if (next.kind == LineSplitter::Kind::need_more) break;  // the client stopped mid-command
      if (next.kind == LineSplitter::Kind::flood) {
        take();  // 421: a flood, or the deadline before it
        break;
      }
      if (next.kind == LineSplitter::Kind::too_long) {
        const auto& r = take();
        if (r.code != 500 && !over) std::abort();
      } else {
        auto parsed = parse_command(next.line, ParseLimits{16, lim.smtputf8});
        auto* cmd = std::get_if<Command>(&parsed);
        if (cmd && cmd->verb == Verb::bdat) {
          // The chunk comes before its reply; a short chunk means the client left.
          if (lines.pending_size() < cmd->chunk_size) break;
          lines.consume(static_cast<size_t>(cmd->chunk_size));
          take();
        } else {
          const auto& r = take();
          if (r.code == 334) {
            if (!cmd || cmd->verb != Verb::auth) std::abort();  // a challenge to something else
            if (!follow_sasl(lines, lim.command_line_bytes, over, take, [](LineSplitter::Kind, size_t) { return false; }))
              break;
          } else if (cmd && cmd->verb == Verb::data && r.code == 354) {
            DataReader reader(lim.message_bytes, DataReader::BareNewline::reject);
            size_t used = reader.feed(lines.pending());
            lines.consume(used);
            if (!reader.done()) break;  // the client left inside DATA
            take();
          } else if (!cmd && r.code != std::get<Reply>(parsed).code && !over) {
            std::abort();  // a parse error answered with something else
          } else if (cmd && r.code == 250 && (cmd->verb == Verb::ehlo || cmd->verb == Verb::helo)) {
            helo_seen = true;
            bool offers = r.text.find("STARTTLS") != std::string::npos;
            if (cmd->verb == Verb::ehlo && offers == inside) std::abort();  // STARTTLS offered iff not in TLS
          } else if (cmd && inside && cmd->verb == Verb::mail && !helo_seen && r.code != 503 && !over) {
            std::abort();  // MAIL inside TLS before a new EHLO
          } else if (cmd && cmd->verb == Verb::starttls) {
            if (inside && r.code != 503 && !over) std::abort();  // a second STARTTLS
            if (r.code == 220) {
              starttls_ok = true;
              break;  // everything after it in plaintext is discarded
            }
          }
        }
      }
      // The hard error limit (or the deadline) adds a 421 after a reply.
      if (!over && i < rs.size() && rs[i].code == 421) take();
    }
    // A client that went silent ends with the timeout.
    if (!over && !starttls_ok && i < rs.size() && is_timeout(rs[i])) take();
    if (i != rs.size()) std::abort();  // a reply to nothing, or after the hang-up (or the 220 to STARTTLS)
    return starttls_ok;
  };
  bool upgraded = walk(client_bytes, replies, 1, false);
  if (tl.handshakes != (upgraded ? 1 : 0)) std::abort();
  if (upgraded && !tl.handshake_ok && !t.closed) std::abort();  // a failed handshake closes
  if (tl.handshake_ok) walk(tl.read_inside, inside_replies, 0, true);
  if (over && !t.closed) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto tls = std::make_shared<harness::FakeTlsServer>();
  static auto services = [] {
    (void)tern::log::configure("/dev/null", "session_fuzz");  // the session logs every event
    return harness::make_services({}, tls);
  }();
  tls->log->clear();
  if (!services) std::abort();
  const auto& lim = services->limits;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  Client client = parse_client(in);

  harness::FakeHost host(services);
  auto t = harness::run(host, client.segments);
  if (host.hung) std::abort();  // a read left waiting with no deadline to end it
  if (host.live != 0 || host.released != 1) std::abort();
  if (t.written_after_close != 0) std::abort();
  if (std::getenv("SESSION_FUZZ_DEBUG")) fprintf(stderr, "--- server wrote:\n%s---\n", t.written.c_str());
  auto replies = parse_replies(t.written);

  // No message committed twice; each one small enough; one per "queued as".
  std::set<std::string> ids(host.ids.begin(), host.ids.end());
  if (ids.size() != host.ids.size()) std::abort();
  for (uint64_t n : host.content_sizes)
    if (n > lim.message_bytes + 4096) std::abort();  // content + our Received: header
  size_t queued = 0;
  for (auto& r : replies)
    if (r.code == 250 && r.first_line.find("queued as") != std::string::npos) ++queued;
  if (queued != host.ids.size()) std::abort();

  // A session that answered STARTTLS with 220 has a plaintext part and a
  // TLS part, walked apart.
  if (tls->log->handshakes > 0 || t.written.find("Ready to start TLS") != std::string::npos) {
    check_tls_session(client.bytes, t, *tls->log, lim);
    return 0;
  }

  // Walk the client's commands and the replies together.
  if (replies.empty()) std::abort();  // there is always a greeting (or a 554 for an early talker)
  size_t i = 1;
  bool over = hangs_up(replies[0]);
  LineSplitter lines(lim.command_line_bytes, 256 * 1024);
  lines.feed(client.bytes);
  auto take = [&]() -> const ServerReply& {
    if (i >= replies.size()) std::abort();  // a command without a reply
    const ServerReply& r = replies[i++];
    if (hangs_up(r)) over = true;
    return r;
  };
  auto consumed = [&] { return client.bytes.size() - lines.pending_size(); };

  // Deadlines. The session last moved its deadline at a time within
  // [arm_lo, arm_hi]: a range where it depends on what the model does not
  // follow (whether a BDAT LAST reached the end-of-message checks; a step
  // after 64 KiB of content, which happens at some read up to the last one).
  const Secs timeout = lim.timeout.count();
  const Secs closed_at = std::chrono::duration_cast<std::chrono::seconds>(t.closed_at.time_since_epoch()).count();
  Secs arm_lo = 0, arm_hi = 0;  // the greeting
  auto armed = [&](Secs lo, Secs hi) { arm_lo = lo, arm_hi = hi; };
  constexpr uint64_t kContentStep = 64 * 1024;
  // The session waits for bytes of the client that come at `at`. It must
  // say 421 4.4.2 before them if `at` is past the deadline, and may if `at`
  // is at or past the earliest deadline possible; the timeout comes at the
  // deadline. A timeout reply belongs here if it came no later than `at`
  // (any later deadline is at least smtpd_timeout after `at`). True when
  // the session timed out here.
  auto timed_out_before = [&](Secs at) -> bool {
    bool here = i < replies.size() && is_timeout(replies[i]) && closed_at <= at;
    if (!here) {
      if (at > arm_hi + timeout) std::abort();  // silent past the deadline, and no timeout
      return false;
    }
    if (closed_at < arm_lo + timeout) std::abort();  // before the deadline: the client was in time
    if (closed_at > arm_hi + timeout) std::abort();  // after the deadline: trickling kept it alive
    take();
    return true;
  };

  size_t too_long_start = 0;

  // AUTH's continuation lines move the deadline as a command line does.
  auto sasl_deadline = [&](LineSplitter::Kind kind, size_t pending_before) {
    size_t start = client.bytes.size() - pending_before;
    Secs at = client.time_of(consumed() - 1);
    if (kind == LineSplitter::Kind::too_long) {
      too_long_start = start;
      at = client.time_of(start + kSaslLineBytes);
    } else if (kind == LineSplitter::Kind::flood) {
      at = client.time_of(too_long_start + 256 * 1024);
    }
    if (timed_out_before(at)) return true;
    armed(at, at);
    return false;
  };
  while (!over) {
    size_t start = consumed();
    auto next = lines.next();
    if (next.kind == LineSplitter::Kind::need_more) break;  // the client stopped mid-command
    // The session moves the deadline when the splitter hands out a line, a
    // too long one (when its bytes pass the limit) or a flood.
    Secs at = client.time_of(consumed() - 1);
    if (next.kind == LineSplitter::Kind::too_long) {
      too_long_start = start;
      at = client.time_of(start + lim.command_line_bytes);
    } else if (next.kind == LineSplitter::Kind::flood) {
      at = client.time_of(too_long_start + 256 * 1024);
    }
    if (timed_out_before(at)) break;
    armed(at, at);
    if (next.kind == LineSplitter::Kind::flood) {
      if (take().code != 421) std::abort();
      break;
    }
    if (next.kind == LineSplitter::Kind::too_long) {
      const auto& r = take();
      if (r.code != 500 && !over) std::abort();
    } else {
      auto parsed = parse_command(next.line, ParseLimits{16, lim.smtputf8});
      auto* cmd = std::get_if<Command>(&parsed);
      if (cmd && cmd->verb == Verb::bdat) {
        // The chunk comes before its reply; a short chunk means the client
        // left or stalled inside it.
        if (lines.pending_size() < cmd->chunk_size) {
          if (lines.pending_size() >= kContentStep) arm_hi = client.time_of(client.bytes.size() - 1);
          break;
        }
        lines.consume(static_cast<size_t>(cmd->chunk_size));
        Secs end = cmd->chunk_size > 0 ? client.time_of(consumed() - 1) : at;
        if (cmd->chunk_size >= kContentStep) arm_hi = end;
        if (timed_out_before(end)) break;
        const auto& r = take();
        if (cmd->last) armed(r.code == 250 ? end : at, end);  // the end-of-message checks move it
      } else {
        const auto& r = take();
        if (r.code == 334) {
          if (!cmd || cmd->verb != Verb::auth) std::abort();  // a challenge to something else
          if (!follow_sasl(lines, lim.command_line_bytes, over, take, sasl_deadline)) break;
        } else if (cmd && cmd->verb == Verb::data && r.code == 354) {
          DataReader reader(lim.message_bytes, DataReader::BareNewline::reject);
          size_t used = reader.feed(lines.pending());
          lines.consume(used);
          if (used >= kContentStep) arm_hi = client.time_of(consumed() - 1);
          if (!reader.done()) break;  // the client left or stalled inside DATA
          Secs end = client.time_of(consumed() - 1);
          if (timed_out_before(end)) break;
          take();
          armed(end, end);
        } else if (!cmd && r.code != std::get<Reply>(parsed).code && !over) {
          std::abort();  // a parse error answered with something else
        }
      }
    }
    // The hard error limit adds a 421 after the reply that reached it.
    if (!over && i < replies.size() && replies[i].code == 421 && !is_timeout(replies[i])) take();
  }
  // The client sent all it had: it closed (at client.end) or it stalls.
  if (!over) timed_out_before(client.end);
  if (client.end == kNever && !over) std::abort();  // a stalled client always ends in a hang-up
  if (i != replies.size()) std::abort();  // a reply to nothing, or after the hang-up
  if (over && !t.closed) std::abort();
  return 0;
}
