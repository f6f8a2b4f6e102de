// A Session with no network, no queue directory, no Committer threads and
// no real time: the client's bytes come from an io::MemoryStream, drafts
// stay in memory (a spool that does not exist: a draft that would spill
// fails with 451), commits succeed at once and are recorded, and time is an
// io::FakeClock that moves only when nothing else can happen (so a client
// that waits 300 s, or stalls until the timeout, costs no real time). Used
// by the session fuzz target and the session unit tests. Header-only, so the
// production library carries none of it.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "io/fake_clock.h"
#include "io/memory_stream.h"
#include "sasl/fake_verifier.h"
#include "smtp/server/fake_tls.h"
#include "smtp/server/host.h"
#include "smtp/server/session.h"

namespace tern::smtp::harness {

// The configuration the harness runs with: small limits, so that inputs of
// a few KiB reach them; no error sleep (it sleeps on a real timer); a 10 s
// smtpd_timeout, so that fuzz inputs reach it with short waits; every local
// part of virt.test but "nobody" is an account.
inline constexpr std::string_view kConfig =
    "myhostname = mx.test.example\n"
    "mydomain = test.example\n"
    "mydestination =\n"
    "virtual_mailbox_domains = virt.test\n"
    "virtual_mailbox_base = /nonexistent/tern-harness/vmail\n"
    "alias_maps =\n"
    "virtual_alias_maps =\n"
    "mynetworks = 127.0.0.1/32\n"
    "message_size_limit = 4096\n"
    "smtpd_recipient_limit = 5\n"
    "smtpd_command_line_limit = 512\n"
    "smtpd_soft_error_limit = 3\n"
    "smtpd_hard_error_limit = 12\n"
    "smtpd_junk_command_limit = 20\n"
    "smtpd_error_sleep_time = 0\n"
    "smtpd_timeout = 10s\n"
    "hopcount_limit = 5\n"
    "smtpd_sasl_auth_enable = yes\n"
    "smtpd_tls_auth_only = no\n"
    "smtpd_sasl_failure_limit = 4\n"
    "smtpd_sasl_failure_sleep_time = 0\n";

// alice@virt.test with password "secret" (sasl/fake_verifier.h).
using FakeVerifier = sasl::testing::FakeVerifier;

// tls: the fake TLS layer STARTTLS uses (fake_tls.h); none: no certificate.
inline std::shared_ptr<const Services> make_services(std::string_view extra_config = {},
                                                     std::shared_ptr<const io::TlsServer> tls = nullptr) {
  std::string text(kConfig);
  text += extra_config;
  auto loaded = config::load_string(text, "harness.cf");
  if (!loaded.ok()) return nullptr;
  auto pol = policy::Policy::create(*loaded.config);
  auto rw = rewrite::Rewriter::create(loaded.config, [](const std::string& a) {
    return a.size() > 10 && a.compare(a.size() - 10, 10, "@virt.test") == 0 && a != "nobody@virt.test";
  });
  auto canonical = rewrite::Canonical::create(*loaded.config);
  if (!pol || !rw || !canonical) return nullptr;
  auto s = std::make_shared<Services>(Services{loaded.config, *pol, *rw, read_limits(*loaded.config), 0, 0, std::move(tls)});
  s->verifier = std::make_shared<FakeVerifier>();
  s->canonical = *canonical;
  return s;
}

class FakeHost final : public SessionHost {
 public:
  explicit FakeHost(std::shared_ptr<const Services> s) : services_(std::move(s)), spool_("/nonexistent/tern-harness") {}
  std::shared_ptr<const Services> services() const override { return services_; }
  bool admit(const std::string&, std::string&) override { return ++admitted == 1; }
  void release(const std::string&) override { ++released; }
  void add(Session*) override { ++live; }
  void remove(Session*) override { --live; }
  bool shutting_down() const override { return false; }
  io::Clock& clock() override { return fake_clock; }
  const queue::Spool& spool() const override { return spool_; }
  void commit(std::unique_ptr<queue::Draft> draft, std::function<void(Status)> done) override {
    ids.push_back(draft->id());
    content_sizes.push_back(draft->content_size());
    images.emplace_back(draft->image());
    done(ok_status());
  }

  AuthFailures& auth_failures() override { return auth_failures_; }
  // The client's name, as a resolver would have confirmed it.
  asio::awaitable<std::string> peer_name(const std::string&) override {
    ++peer_lookups;
    co_return peer;
  }

  std::string peer = "unknown";
  int peer_lookups = 0;
  std::vector<std::string> images;  // each committed draft's queue-file image
  int admitted = 0, released = 0, live = 0;
  io::FakeClock fake_clock;  // starts at time_point{} (0 s)
  bool hung = false;         // run() found the session waiting with no time left to pass
  std::vector<std::string> ids;
  std::vector<uint64_t> content_sizes;

 private:
  std::shared_ptr<const Services> services_;
  queue::Spool spool_;
  AuthFailures auth_failures_;
};

// "250 2.1.0" per reply (code and enhanced code of its last line; the code
// alone where there is no enhanced code: greetings, 334 challenges).
inline std::vector<std::string> reply_codes(const std::string& written) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < written.size()) {
    size_t eol = written.find("\r\n", pos);
    std::string line = written.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.size() > 3 && line[3] == '-') continue;
    auto sp = line.find(' ', 4);
    out.push_back(line.substr(0, sp == std::string::npos || line[4] < '2' || line[4] > '5' ? 3 : sp));
  }
  return out;
}

// Runs one session to its end over `in` (see io::MemoryStream: an empty
// segment is a pause, the client waiting for replies; Segment::after(N)
// waits N seconds; Segment::stall() keeps the connection open and silent).
// The io_context runs until nothing is ready; then the fake clock moves to
// the next pending timer (a client's wait or the session's deadline); when
// no timer is left and the session has not ended, it would wait for ever:
// host.hung is set and the run stops.
inline io::MemoryStream::Transcript run(FakeHost& host, std::deque<io::Segment> in,
                                       ListenerKind kind = ListenerKind::smtp) {
  asio::io_context ctx;
  auto t = std::make_shared<io::MemoryStream::Transcript>();
  auto stream = std::make_unique<io::MemoryStream>(ctx.get_executor(), host.fake_clock, std::move(in), t);
  auto session = std::make_shared<Session>(host, std::move(stream), io::Peer{"127.0.0.1", 25}, kind);
  asio::co_spawn(ctx, session->run(), asio::detached);
  for (;;) {
    ctx.poll();  // `session` keeps it alive until its coroutine takes its own reference
    if (ctx.stopped()) break;  // no work left: the session and its watchdog ended
    if (!host.fake_clock.advance_to_next()) {
      host.hung = true;
      break;
    }
  }
  return *t;
}

}  // namespace tern::smtp::harness
