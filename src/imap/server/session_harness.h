// IMAP sessions with no network and no real time, for the session tests
// and fuzzing: the client's bytes come from io::MemoryStream, the mail
// from real MaildirStores under a temporary directory (one Maildir per
// user: ROOT/<user>), passwords from sasl's fake verifier, time from an
// io::FakeClock that moves only when nothing else can happen. Several
// sessions can run at once over the same Maildirs. Header-only.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "base/fs.h"
#include "imap/server/session.h"
#include "io/fake_clock.h"
#include "io/memory_stream.h"
#include "sasl/fake_verifier.h"
#include "store/maildir_store.h"
#include "store/store_test_util.h"

namespace tern::imap::testing {

using sasl::testing::FakeVerifier;  // alice@virt.test/secret, bob@virt.test/hunter2, tempfail@virt.test

// Each user's Maildir is ROOT/<user>, its subscriptions file in it.
class MaildirOpener final : public AccountOpener {
 public:
  explicit MaildirOpener(std::string root) : root_(std::move(root)) {}
  Result<Account> open(const std::string& user) override {
    if (fail) return Error::temp("test: store unavailable");
    Account a;
    std::string dir = root_ + "/" + user;
    a.store = std::make_unique<store::MaildirStore>(dir);
    a.subscriptions_path = dir + "/subscriptions";
    a.root = dir + "/";
    a.quota = quota;
    return a;
  }
  std::string maildir(const std::string& user) const { return root_ + "/" + user; }
  bool fail = false;
  store::QuotaRule quota;  // every account's

 private:
  std::string root_;
};

class FakeHost : public SessionHost {
 public:
  FakeHost() {
    services_ = std::make_shared<Services>();
    services_->settings.hostname = "imap.test.example";
    services_->settings.timeout = std::chrono::seconds(1800);
    services_->settings.tls_auth_only = false;
    services_->settings.failure_limit = 4;
    services_->settings.failure_sleep = std::chrono::seconds(0);
    services_->settings.max_append_bytes = 100000;
    services_->verifier = verifier;
    services_->accounts = accounts;
  }
  Services& edit() { return *services_; }
  std::shared_ptr<const Services> services() const override { return services_; }
  void add(Session*) override { ++live; }
  void remove(Session*) override { --live; }
  bool shutting_down() const override { return false; }
  io::Clock& clock() override { return fake_clock; }
  sasl::AuthFailures& auth_failures() override { return failures; }
  policy::RecentLogins* recent_logins() override { return &recent; }
  UserIpCounts* user_ip_counts() override { return &user_ip; }

  // The user's mail store, for a test to put mail in or look.
  store::MaildirStore store_of(const std::string& user = "alice@virt.test") {
    return store::MaildirStore(accounts->maildir(user));
  }
  // Delivers a message (LF line ends, as delivery writes) into a folder.
  uint32_t deliver(const std::string& msg, const std::string& folder = "INBOX",
                   const std::string& user = "alice@virt.test", store::MessageFlags flags = 0) {
    auto s = store_of(user);
    auto box = s.open(folder);
    auto uid = (*box)->append(msg, flags, 1700000000);
    return uid ? *uid : 0;
  }

  store::test_util::TempDir dir;
  std::shared_ptr<FakeVerifier> verifier = std::make_shared<FakeVerifier>();
  std::shared_ptr<MaildirOpener> accounts = std::make_shared<MaildirOpener>(dir.path() + "/mail");
  io::FakeClock fake_clock;
  sasl::AuthFailures failures;
  policy::RecentLogins recent;
  UserIpCounts user_ip;
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
    auto s = std::make_shared<Session>(host, std::move(stream), io::Peer{c.ip, 143}, c.implicit_tls);
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

// A client that waits for each response: a pause after every line. The
// lines are sent with CRLF; "a LOGOUT" ends the script unless !logout.
inline std::deque<io::Segment> script(std::initializer_list<std::string> lines, bool logout = true) {
  std::deque<io::Segment> in{""};
  for (const auto& l : lines) {
    in.push_back(l + "\r\n");
    in.push_back("");
  }
  if (logout) in.push_back("z LOGOUT\r\n");
  return in;
}

inline const std::string kLogin = "l LOGIN alice@virt.test secret";

// Whether what a session wrote contains `what`.
inline bool has(const std::string& written, const std::string& what) {
  return written.find(what) != std::string::npos;
}

// The tagged response of `tag` ("a OK ..."), or "" when there is none.
inline std::string tagged(const std::string& written, const std::string& tag) {
  std::string want = tag + " ";
  size_t pos = 0;
  while (pos < written.size()) {
    size_t eol = written.find("\r\n", pos);
    if (eol == std::string::npos) eol = written.size();
    if (written.compare(pos, want.size(), want) == 0) return written.substr(pos, eol - pos);
    pos = eol + 2;
  }
  return "";
}

}  // namespace tern::imap::testing
