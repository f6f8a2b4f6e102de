// dsn_compose: a test driver for mail::compose_dsn, so that end-to-end tests
// (tests/e2e/test_dsn_format.py) can parse real output with Python's email
// package. Not installed; the daemon's bounce step calls compose_dsn itself.
//
//   dsn_compose [--sender A] [--reporting-mta H] [--queue-id Q] [--envid E]
//               [--ret full|hdrs] [--limit BYTES] [--now T] [--arrival T]
//               --rcpt 'action|status|final|orcpt|remote-mta|diagnostic' ...
//   < original message (LF line ends)
// Prints the report on stdout and "eight_bit=N smtputf8=N headers_only=N"
// on stderr.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>

#include "mail/dsn.h"

using namespace tern::mail;

namespace {

DsnAction action_of(const std::string& s) {
  if (s == "delayed") return DsnAction::delayed;
  if (s == "delivered") return DsnAction::delivered;
  if (s == "relayed") return DsnAction::relayed;
  if (s == "expanded") return DsnAction::expanded;
  return DsnAction::failed;
}

DsnRecipient recipient_of(const std::string& spec) {
  std::string f[6];
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t bar = spec.find('|', start);
    if (bar == std::string::npos) {
      f[i] = spec.substr(start);
      start = spec.size();
      continue;
    }
    f[i] = spec.substr(start, bar - start);
    start = bar + 1;
  }
  if (start < spec.size()) f[5] = spec.substr(start);
  DsnRecipient r;
  r.action = action_of(f[0]);
  r.status = f[1];
  r.final_recipient = f[2];
  r.original = f[3];
  r.remote_mta = f[4];
  r.diagnostic = f[5];
  r.last_attempt = 1764662400;
  if (r.action == DsnAction::delayed) r.will_retry_until = 1765094400;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  DsnReport rep;
  rep.reporting_mta = "mail.example.org";
  rep.sender = "sender@example.org";
  rep.queue_id = "4ABC123";
  rep.now = 1764666000;
  rep.message_id = "<dsn.4ABC123@mail.example.org>";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--sender")
      rep.sender = v;
    else if (k == "--reporting-mta")
      rep.reporting_mta = v;
    else if (k == "--queue-id")
      rep.queue_id = v;
    else if (k == "--envid")
      rep.envid = v;
    else if (k == "--ret")
      rep.ret = v == "full" ? DsnReturn::full : v == "hdrs" ? DsnReturn::headers : DsnReturn::unspecified;
    else if (k == "--limit")
      rep.bounce_size_limit = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--now")
      rep.now = std::strtoll(v.c_str(), nullptr, 10);
    else if (k == "--arrival")
      rep.arrival = std::strtoll(v.c_str(), nullptr, 10);
    else if (k == "--rcpt")
      rep.recipients.push_back(recipient_of(v));
    else {
      std::fprintf(stderr, "dsn_compose: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  std::string original((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  rep.original = original;
  DsnMessage m = compose_dsn(rep);
  std::fwrite(m.content.data(), 1, m.content.size(), stdout);
  std::fprintf(stderr, "eight_bit=%d smtputf8=%d headers_only=%d\n", m.eight_bit, m.smtputf8, m.headers_only);
  return 0;
}
