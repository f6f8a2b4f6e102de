// `sendmail -bs`: SMTP on standard input and output, for programs that
// submit mail that way (some MUAs and cron setups). Each message is handed
// to the daemon exactly as `sendmail` does (submit_client.h); the protocol
// pieces are the same pure parsers the SMTP server uses.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/submit_client.h"
#include "smtp/proto/command.h"
#include "smtp/proto/data_reader.h"
#include "smtp/proto/line_splitter.h"

namespace tern::cli {

namespace {

void say(const smtp::Reply& r) {
  auto s = r.format();
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

// Reads more of stdin into the splitter; false at end of input.
bool fill(smtp::LineSplitter& in) {
  char buf[65536];
  ssize_t n = ::read(0, buf, sizeof buf);
  if (n <= 0) return false;
  in.feed(std::string_view(buf, static_cast<size_t>(n)));
  return true;
}

}  // namespace

int sendmail_bs(const config::Config& cfg) {
  const std::string host = cfg.get("myhostname");
  const uint64_t limit = cfg.limit_bytes("message_size_limit");
  const std::string origin = cfg.get("myorigin");
  smtp::LineSplitter in(static_cast<size_t>(cfg.integer("smtpd_command_line_limit")));
  queue::SubmitRequest tx;
  bool in_tx = false;
  say(smtp::Reply(220, "", host + " ESMTP tern (sendmail -bs)"));
  for (;;) {
    auto next = in.next();
    if (next.kind == smtp::LineSplitter::Kind::need_more) {
      if (!fill(in)) return 0;
      continue;
    }
    if (next.kind == smtp::LineSplitter::Kind::too_long) {
      say(smtp::Reply(500, "5.5.2", "Error: line too long"));
      continue;
    }
    auto parsed = smtp::parse_command(next.line);
    if (auto* r = std::get_if<smtp::Reply>(&parsed)) {
      say(*r);
      continue;
    }
    auto& c = std::get<smtp::Command>(parsed);
    switch (c.verb) {
      case smtp::Verb::helo:
      case smtp::Verb::ehlo:
        in_tx = false;
        say(smtp::Reply(250, "", host));
        break;
      case smtp::Verb::mail:
        if (in_tx) {
          say(smtp::Reply(503, "5.5.1", "Error: nested MAIL command"));
          break;
        }
        tx = {};
        // As with sendmail -f, a local user may name the sender; the daemon
        // records the submitting uid (SO_PEERCRED) in Received: and the log.
        tx.sender = c.address.str();
        in_tx = true;
        say(smtp::Reply(250, "2.1.0", "Ok"));
        break;
      case smtp::Verb::rcpt: {
        if (!in_tx) {
          say(smtp::Reply(503, "5.5.1", "Error: need MAIL command"));
          break;
        }
        std::string r = c.address.str();
        if (c.address.domain.empty()) r += "@" + origin;
        tx.recipients.push_back(r);
        say(smtp::Reply(250, "2.1.5", "Ok"));
        break;
      }
      case smtp::Verb::data: {
        if (!in_tx || tx.recipients.empty()) {
          say(smtp::Reply(554, "5.5.1", "Error: no valid recipients"));
          break;
        }
        say(smtp::Reply(354, "", "End data with <CR><LF>.<CR><LF>"));
        smtp::DataReader reader(limit, smtp::DataReader::BareNewline::normalize);
        std::string content;
        while (!reader.done()) {
          if (in.pending_size() == 0 && !fill(in)) return 0;
          std::string chunk = in.take(in.pending_size());
          size_t used = reader.feed(chunk);
          if (used < chunk.size()) in.feed(std::string_view(chunk).substr(used));
          content += reader.output();
          reader.output().clear();
        }
        in_tx = false;
        if (reader.too_big()) {
          say(smtp::Reply(552, "5.3.4", "Error: message file too big"));
          break;
        }
        tx.content = std::move(content);
        auto id = submit(cfg, tx);
        if (id)
          say(smtp::Reply(250, "2.0.0", "Ok: queued as " + *id));
        else
          say(smtp::Reply(id.error().is_temporary() ? 451 : 554, id.error().is_temporary() ? "4.3.0" : "5.3.0",
                          "Error: " + str::printable(id.error().detail, 200)));
        break;
      }
      case smtp::Verb::rset:
        in_tx = false;
        say(smtp::Reply(250, "2.0.0", "Ok"));
        break;
      case smtp::Verb::noop:
        say(smtp::Reply(250, "2.0.0", "Ok"));
        break;
      case smtp::Verb::quit:
        say(smtp::Reply(221, "2.0.0", "Bye"));
        return 0;
      default:
        say(smtp::Reply(502, "5.5.1", "Error: command not implemented"));
    }
  }
}

}  // namespace tern::cli
