// The sendmail(1) personality, so that scripts written for sendmail, Postfix
// or Exim keep working: `sendmail [flags] [--] address...` reads a message
// on standard input and queues it. Modes: -bm (default), -bp (mailq),
// -bi (newaliases), -bd (daemon), -bs (SMTP on standard input,
// sendmail_bs.cpp), -q (run the queue). Flags: -t (recipients from To/Cc/Bcc; Bcc removed), -i / -oi
// (a lone "." does not end the message), -f/-r sender, -F full name,
// -C config; -o options, -v, -m, -n, -U, -B, -N, -R, -V, -L, -h, -O, -X
// are accepted and ignored as Postfix does. After "--" every argument is an
// address, even one that starts with '-' (RELIABILITY.md #21). The argv
// and stdin readers and the -t splice are pure, in sendmail_parse.cpp.
//
// SECURITY: runs as any local user. -C gives no privilege (the daemon
// applies its own configuration); a sender or recipient with a control
// character is refused; nothing from the message is executed.
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/strings.h"
#include "base/time.h"
#include "cli/commands.h"
#include "cli/sendmail_parse.h"
#include "cli/submit_client.h"
#include "mail/address.h"
#include "roles/serve.h"

namespace tern::cli {

namespace {

bool has_control(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

std::string login_name() {
  struct passwd* pw = ::getpwuid(::getuid());
  return pw ? pw->pw_name : std::to_string(::getuid());
}

std::string rfc2822_now() { return rfc5322_date(::time(nullptr)); }

}  // namespace

int sendmail_main(int argc, char** argv) {
  SendmailOptions o;
  std::string error;
  if (int rc = parse_sendmail_args(std::vector<std::string>(argv + 1, argv + argc), o, error)) {
    std::fprintf(stderr, "sendmail: %s\n", error.c_str());
    return rc;
  }
  if (o.mode == "p") return cmd_queue_list(o.config);
  if (o.mode == "i") return cmd_newaliases(o.config);
  if (o.mode == "q") return cmd_queue_flush(o.config, o.site, false, "sendmail");
  if (o.mode[0] == 'M') {
    QueueOp::Verb verb = o.mode == "Mrm" ? QueueOp::remove
                         : o.mode == "Mf" ? QueueOp::hold
                         : o.mode == "Mt" ? QueueOp::release
                                          : QueueOp::requeue;
    std::vector<QueueOp> ops;
    for (auto& id : o.recipients) {
      if (id == "-" || id == "ALL") {  // Exim takes message IDs only
        std::fprintf(stderr, "sendmail: not a queue ID: %s\n", id.c_str());
        return 64;
      }
      ops.push_back({verb, id});
    }
    if (ops.empty()) {
      std::fprintf(stderr, "sendmail: -%s needs queue IDs\n", o.mode.c_str());
      return 64;
    }
    return cmd_queue_act(o.config, ops, {}, false, "sendmail");
  }
  if (o.mode == "d" || o.mode == "D") {
    roles::ServeOptions so;
    so.config_path = config::locate(o.config);
    return roles::serve(so);
  }
  auto cfg = load_config(o.config, true);
  if (!cfg) return 78;
  std::string origin = cfg->get("myorigin");
  if (o.mode == "s") return sendmail_bs(*cfg);
  if (o.mode != "m") {
    std::fprintf(stderr, "sendmail: unsupported mode -b%s\n", o.mode.c_str());
    return 64;
  }
  if (has_control(o.sender) || has_control(o.full_name)) {
    std::fprintf(stderr, "sendmail: control characters in -f or -F are not allowed\n");
    return 64;
  }
  queue::SubmitRequest req;
  req.sender = o.sender.empty() ? login_name() + "@" + origin : (o.sender == "<>" ? "" : qualify_address(o.sender, origin));
  for (auto& r : o.recipients)
    for (auto& item : str::split(r, ',')) {
      std::string q = qualify_address(item, origin);
      if (!q.empty()) req.recipients.push_back(q);
    }
  bool too_big = false;
  std::string msg = read_sendmail_message(std::cin, o.ignore_dots,
                                          static_cast<size_t>(std::min<uint64_t>(cfg->limit_bytes("message_size_limit"), uint64_t{1} << 30)), too_big);
  if (too_big) {
    std::fprintf(stderr, "sendmail: message is larger than message_size_limit (1 GiB when that is 0)\n");
    return 65;
  }
  auto spliced = splice_headers(msg, o.extract, origin);
  for (auto& r : spliced.recipients) req.recipients.push_back(r);
  std::string added;
  if (!spliced.has_from)
    added += o.full_name.empty() ? fmt::format("From: {}\n", req.sender)
                                 : fmt::format("From: \"{}\" <{}>\n", o.full_name, req.sender);
  if (!spliced.has_date) added += "Date: " + rfc2822_now() + "\n";
  if (!spliced.has_msgid)
    added += fmt::format("Message-ID: <{}.{}.{}@{}>\n", ::time(nullptr), ::getpid(), ::getuid(), cfg->get("myhostname"));
  if (spliced.body_only) added += "\n";  // body only: keep it a body
  req.content = added + spliced.content;
  if (req.recipients.empty()) {
    std::fprintf(stderr, "sendmail: no recipients specified\n");
    return 64;
  }
  for (auto& r : req.recipients) {
    mail::PathOptions po;
    po.require_brackets = false;
    po.allow_utf8 = true;
    if (has_control(r) || !mail::parse_path(r, po)) {
      std::fprintf(stderr, "sendmail: bad recipient address: %s\n", str::printable(r).c_str());
      return 64;
    }
  }
  auto id = submit(*cfg, req);
  if (!id) {
    std::fprintf(stderr, "sendmail: %s\n", id.error().detail.c_str());
    return id.error().is_temporary() ? 75 : 65;
  }
  return 0;
}

}  // namespace tern::cli
