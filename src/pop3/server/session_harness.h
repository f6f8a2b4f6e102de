// POP3 sessions with no network and no real time, for the session tests
// and fuzzing: the client's bytes come from io::MemoryStream, the maildrops
// from testing::MemoryStore, passwords from a fake verifier, time from an
// io::FakeClock that moves only when nothing else can happen. Several
// sessions can run at once over one store (the IN-USE lock). Header-only.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "io/fake_clock.h"
#include "io/memory_stream.h"
#include "pop3/server/memory_maildrop.h"
#include "pop3/server/session.h"
#include "sasl/fake_verifier.h"

namespace tern::pop3::testing {

using sasl::testing::FakeVerifier;  // alice@virt.test/secret, bob@virt.test/hunter2, tempfail@virt.test

class FakeHost final : public SessionHost {
 public:
  FakeHost() {
    services_ = std::make_shared<Services>();
    services_->settings.hostname = "pop.test.example";
    services_->settings.timeout = std::chrono::seconds(600);
    services_->settings.tls_auth_only = false;
    services_->settings.failure_limit = 4;
    services_->settings.failure_sleep = std::chrono::seconds(0);
    services_->verifier = verifier;
    services_->maildrops = store;
  }
  Services& edit() { return *services_; }
  std::shared_ptr<const Services> services() const override { return services_; }
  void add(Session*) override { ++live; }
  void remove(Session*) override { --live; }
  bool shutting_down() const override { return false; }
  io::Clock& clock() override { return fake_clock; }
  sasl::AuthFailures& auth_failures() override { return failures; }
  policy::RecentLogins* recent_logins() override { return &recent; }

  std::shared_ptr<FakeVerifier> verifier = std::make_shared<FakeVerifier>();
  std::shared_ptr<MemoryStore> store = std::make_shared<MemoryStore>();
  io::FakeClock fake_clock;
  sasl::AuthFailures failures;
  policy::RecentLogins recent;
  int live = 0;
  bool hung = false;

 private:
  std::shared_ptr<Services> services_;
};

struct Client {
  std::deque<io::Segment> in;
  std::string ip = "192.0.2.7";
  bool implicit_tls = false;
};

// Runs the sessions at once to their ends; one transcript each.
inline std::vector<io::MemoryStream::Transcript> run_all(FakeHost& host, std::vector<Client> clients) {
  asio::io_context ctx;
  std::vector<std::shared_ptr<io::MemoryStream::Transcript>> ts;
  std::vector<std::shared_ptr<Session>> sessions;
  for (auto& c : clients) {
    auto t = std::make_shared<io::MemoryStream::Transcript>();
    auto stream = std::make_unique<io::MemoryStream>(ctx.get_executor(), host.fake_clock, std::move(c.in), t);
    auto s = std::make_shared<Session>(host, std::move(stream), io::Peer{c.ip, 110}, c.implicit_tls);
    asio::co_spawn(ctx, s->run(), asio::detached);
    ts.push_back(t);
    sessions.push_back(s);
  }
  for (;;) {
    ctx.poll();
    sessions.clear();  // each coroutine took its own reference in the first poll
    if (ctx.stopped()) break;
    if (!host.fake_clock.advance_to_next()) {
      host.hung = true;
      break;
    }
  }
  std::vector<io::MemoryStream::Transcript> out;
  for (auto& t : ts) out.push_back(*t);
  return out;
}

inline io::MemoryStream::Transcript run(FakeHost& host, std::deque<io::Segment> in, std::string ip = "192.0.2.7") {
  return run_all(host, {Client{std::move(in), std::move(ip)}})[0];
}

// The status word of each reply: "+OK", "-ERR", "-ERR [IN-USE]", "+"
// (a SASL challenge). Other lines (bodies of LIST, RETR, ...) are skipped;
// a test whose message holds lines that look like these compares bytes.
inline std::vector<std::string> statuses(const std::string& written) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < written.size()) {
    size_t eol = written.find("\r\n", pos);
    if (eol == std::string::npos) eol = written.size();
    std::string line = written.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.starts_with("+OK")) out.push_back("+OK");
    else if (line.starts_with("-ERR [")) out.push_back(line.substr(0, line.find(']') + 1));
    else if (line.starts_with("-ERR")) out.push_back("-ERR");
    else if (line.starts_with("+ ")) out.push_back("+");
  }
  return out;
}

}  // namespace tern::pop3::testing
