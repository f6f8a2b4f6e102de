// The sendmail(1) personality, so that scripts written for sendmail, Postfix
// or Exim keep working: `sendmail [flags] [--] address...` reads a message
// on standard input and queues it. Modes: -bm (default), -bp (mailq),
// -bi (newaliases), -bd (daemon), -bs (SMTP on standard input,
// sendmail_bs.cpp), -q (run the queue). Flags: -t (recipients from To/Cc/Bcc; Bcc removed), -i / -oi
// (a lone "." does not end the message), -f/-r sender, -F full name,
// -C config; -o options, -v, -m, -n, -U, -B, -N, -R, -V, -L, -h, -O, -X
// are accepted and ignored as Postfix does. After "--" every argument is an
// address, even one that starts with '-' (RELIABILITY.md #21).
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
#include "cli/submit_client.h"
#include "mail/address.h"
#include "mail/headers.h"
#include "roles/serve.h"

namespace tern::cli {

namespace {

struct Options {
  std::string config;
  std::string mode = "m";  // bm
  bool extract = false;    // -t
  bool ignore_dots = false;
  std::string sender;
  std::string full_name;
  std::vector<std::string> recipients;
};

bool has_control(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

// Returns 0 on success, else an exit status.
int parse_args(int argc, char** argv, Options& o) {
  static const char* with_arg = "BCFNRVLhOXfr";  // flags that take a value
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    char f = a[1];
    std::string rest = a.substr(2);
    if (f == 'b') {
      o.mode = rest;
      continue;
    }
    if (f == 'o') {
      if (rest == "i") o.ignore_dots = true;
      if (rest.empty() && i + 1 < argc) ++i;  // "-o value"
      continue;
    }
    if (f == 'i') {
      o.ignore_dots = true;
      continue;
    }
    if (f == 't') {
      o.extract = true;
      continue;
    }
    if (f == 'q') {
      o.mode = "q";
      continue;
    }
    if (std::strchr(with_arg, f)) {
      std::string val = rest;
      if (val.empty()) {
        if (i + 1 >= argc) {
          std::fprintf(stderr, "sendmail: option -%c requires a value\n", f);
          return 64;
        }
        val = argv[++i];
      }
      if (f == 'C') o.config = val;
      if (f == 'f' || f == 'r') o.sender = val;
      if (f == 'F') o.full_name = val;
      continue;
    }
    if (std::strchr("vmnUGAdeEH", f)) continue;  // accepted, no effect
    std::fprintf(stderr, "sendmail: unknown option -%c\n", f);
    return 64;
  }
  for (; i < argc; ++i) o.recipients.push_back(argv[i]);
  return 0;
}

std::string login_name() {
  struct passwd* pw = ::getpwuid(::getuid());
  return pw ? pw->pw_name : std::to_string(::getuid());
}

std::string qualify(const std::string& a, const std::string& origin) {
  std::string t(str::trim(a));
  if (t.size() >= 2 && t.front() == '<' && t.back() == '>') t = t.substr(1, t.size() - 2);
  if (!t.empty() && t.find('@') == std::string::npos) t += "@" + origin;
  return t;
}

// Reads standard input: LF line endings, optional "." terminator.
std::string read_message(bool ignore_dots, size_t limit, bool& too_big) {
  std::string out, line;
  too_big = false;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!ignore_dots && line == ".") break;
    out += line;
    out += '\n';
    if (out.size() > limit) {
      too_big = true;
      break;
    }
  }
  return out;
}

std::string rfc2822_now() { return rfc5322_date(::time(nullptr)); }

}  // namespace

int sendmail_main(int argc, char** argv) {
  Options o;
  if (int rc = parse_args(argc, argv, o)) return rc;
  if (o.mode == "p") return cmd_queue_list(o.config);
  if (o.mode == "i") return cmd_newaliases(o.config);
  if (o.mode == "q") return cmd_queue_flush(o.config);
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
  req.sender = o.sender.empty() ? login_name() + "@" + origin : (o.sender == "<>" ? "" : qualify(o.sender, origin));
  for (auto& r : o.recipients)
    for (auto& item : str::split(r, ',')) {
      std::string q = qualify(item, origin);
      if (!q.empty()) req.recipients.push_back(q);
    }
  bool too_big = false;
  std::string msg = read_message(o.ignore_dots, static_cast<size_t>(cfg->bytes("message_size_limit")), too_big);
  if (too_big) {
    std::fprintf(stderr, "sendmail: message is larger than message_size_limit\n");
    return 65;
  }
  auto headers = mail::parse_header_section(msg);
  bool has_from = false, has_date = false, has_msgid = false;
  std::string without_bcc;
  size_t copied = 0;
  for (auto& f : headers.fields) {
    std::string n = str::lower(f.name);
    has_from |= n == "from";
    has_date |= n == "date";
    has_msgid |= n == "message-id";
    if (o.extract && (n == "to" || n == "cc" || n == "bcc"))
      for (auto& a : mail::extract_addresses(f.value)) req.recipients.push_back(qualify(a, origin));
    if (n == "bcc") {
      without_bcc += msg.substr(copied, f.begin - copied);
      copied = f.end;
    }
  }
  without_bcc += msg.substr(copied);
  std::string added;
  if (!has_from)
    added += o.full_name.empty() ? fmt::format("From: {}\n", req.sender)
                                 : fmt::format("From: \"{}\" <{}>\n", o.full_name, req.sender);
  if (!has_date) added += "Date: " + rfc2822_now() + "\n";
  if (!has_msgid)
    added += fmt::format("Message-ID: <{}.{}.{}@{}>\n", ::time(nullptr), ::getpid(), ::getuid(), cfg->get("myhostname"));
  if (headers.fields.empty() && headers.body_offset == 0) added += "\n";  // body only: keep it a body
  req.content = added + without_bcc;
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
