// libFuzzer target for the whole SMTP session: commands, pipelining,
// DATA/BDAT framing, limits and error counting, driven over an in-memory
// stream with fake services (session_harness.h).
//
// Input: the client's bytes. The 3-byte marker "~~~" splits them into
// segments; the client waits for the server's replies between segments
// (nothing of the next segment is available before the session reads), and
// sends a segment in one go (a pipelined group). Input that starts with the
// marker is a polite client; otherwise its first segment is there before the
// greeting (an early talker).
//
// Invariants, checked against a small model of the client's side (the
// commands it sent, framed with the pure parsers of smtp/proto):
//   - one reply per command, in order, pipelined groups included, and a
//     second reply only for DATA (354, then the end of data); after AUTH's
//     334, each client line (up to 12288 bytes) gets the next 334 or the
//     final reply, and only AUTH gets a 334;
//   - nothing after 221, 421 or 554 5.5.0, and the stream closed after it;
//   - no message committed twice, one commit per "queued as", content within
//     message_size_limit;
//   - replies are well-formed SMTP (code, separator, CRLF).
#include <stddef.h>
#include <stdint.h>

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
};

// Splits the server's output into replies; aborts on a malformed line.
std::vector<ServerReply> parse_replies(std::string_view out) {
  std::vector<ServerReply> replies;
  bool continuing = false;
  int code = 0;
  std::string first;
  while (!out.empty()) {
    size_t eol = out.find("\r\n");
    if (eol == std::string_view::npos || eol < 3) std::abort();  // unterminated or short reply line
    std::string_view line = out.substr(0, eol);
    out.remove_prefix(eol + 2);
    for (int i = 0; i < 3; ++i)
      if (line[i] < '0' || line[i] > '9') std::abort();
    int c = std::atoi(std::string(line.substr(0, 3)).c_str());
    if (continuing && c != code) std::abort();  // a multi-line reply changed its code
    if (!continuing) first = std::string(line);
    code = c;
    char sep = line.size() > 3 ? line[3] : ' ';
    if (sep != ' ' && sep != '-') std::abort();
    continuing = sep == '-';
    if (!continuing) replies.push_back({code, first});
    for (char ch : line)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) std::abort();  // raw control byte in a reply
  }
  if (continuing) std::abort();
  return replies;
}

bool hangs_up(const ServerReply& r) {
  return r.code == 221 || r.code == 421 || (r.code == 554 && r.first_line.find("5.5.0") != std::string::npos);
}


}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto services = [] {
    tern::log::configure("/dev/null", "session_fuzz");  // the session logs every event
    return harness::make_services();
  }();
  if (!services) std::abort();
  const auto& lim = services->limits;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  std::deque<std::string> chunks;
  std::string client;  // every byte the client sends, in order
  constexpr std::string_view kPause = "~~~";
  for (size_t pos = 0;;) {
    size_t m = in.find(kPause, pos);
    std::string_view seg = in.substr(pos, m == std::string_view::npos ? std::string_view::npos : m - pos);
    if (!seg.empty()) chunks.emplace_back(seg);
    client.append(seg);
    if (m == std::string_view::npos) break;
    chunks.emplace_back();  // pause: wait for the replies
    pos = m + kPause.size();
  }

  harness::FakeHost host(services);
  auto t = harness::run(host, std::move(chunks));
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

  // Walk the client's commands and the replies together.
  if (replies.empty()) std::abort();  // there is always a greeting (or a 554 for an early talker)
  size_t i = 1;
  bool over = hangs_up(replies[0]);
  LineSplitter lines(lim.command_line_bytes, 256 * 1024);
  lines.feed(client);
  auto take = [&]() -> const ServerReply& {
    if (i >= replies.size()) std::abort();  // a command without a reply
    const ServerReply& r = replies[i++];
    if (hangs_up(r)) over = true;
    return r;
  };
  // AUTH's continuation lines (RFC 4954): each line after a 334 is answered
  // by the next 334 or the final reply. False: the client stopped mid-way.
  auto sasl_exchange = [&]() -> bool {
    for (;;) {
      lines.set_max_line_bytes(kSaslLineBytes);
      auto n = lines.next();
      lines.set_max_line_bytes(lim.command_line_bytes);
      if (n.kind == LineSplitter::Kind::need_more) return false;
      const auto& r = take();
      if (n.kind == LineSplitter::Kind::flood) {
        if (r.code != 421) std::abort();
        return true;
      }
      if (n.kind == LineSplitter::Kind::too_long && r.code != 500 && !over) std::abort();
      if (r.code != 334 || over) return true;
    }
  };
  while (!over) {
    auto next = lines.next();
    if (next.kind == LineSplitter::Kind::need_more) break;  // the client stopped mid-command
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
        // The chunk comes before its reply; a short chunk means the client left.
        if (lines.pending_size() < cmd->chunk_size) break;
        lines.consume(static_cast<size_t>(cmd->chunk_size));
        take();
      } else {
        const auto& r = take();
        if (r.code == 334) {
          if (!cmd || cmd->verb != Verb::auth) std::abort();  // a challenge to something else
          if (!sasl_exchange()) break;
        } else if (cmd && cmd->verb == Verb::data && r.code == 354) {
          DataReader reader(lim.message_bytes, DataReader::BareNewline::reject);
          size_t used = reader.feed(lines.pending());
          lines.consume(used);
          if (!reader.done()) break;  // the client left inside DATA
          take();
        } else if (!cmd && r.code != std::get<Reply>(parsed).code && !over) {
          std::abort();  // a parse error answered with something else
        }
      }
    }
    // The hard error limit adds a 421 after the reply that reached it.
    if (!over && i < replies.size() && replies[i].code == 421) take();
  }
  if (i != replies.size()) std::abort();  // a reply to nothing, or after the hang-up
  if (over && !t.closed) std::abort();
  return 0;
}
