// A Session with no network, no queue directory and no Committer threads:
// the client's bytes come from an io::MemoryStream, drafts stay in memory
// (a spool that does not exist: a draft that would spill fails with 451),
// and commits succeed at once and are recorded. Used by the session fuzz
// target and the session unit tests. Header-only, so the production library
// carries none of it.
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
#include "io/memory_stream.h"
#include "smtp/server/fake_tls.h"
#include "smtp/server/host.h"
#include "smtp/server/session.h"

namespace tern::smtp::harness {

// The configuration the harness runs with: small limits, so that inputs of
// a few KiB reach them; no error sleep; every local part of virt.test but
// "nobody" is an account.
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
    "hopcount_limit = 5\n";

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
  if (!pol || !rw) return nullptr;
  return std::make_shared<const Services>(
      Services{loaded.config, *pol, *rw, read_limits(*loaded.config), 0, 0, std::move(tls)});
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
  const queue::Spool& spool() const override { return spool_; }
  void commit(std::unique_ptr<queue::Draft> draft, std::function<void(Status)> done) override {
    ids.push_back(draft->id());
    content_sizes.push_back(draft->content_size());
    done(ok_status());
  }

  int admitted = 0, released = 0, live = 0;
  std::vector<std::string> ids;
  std::vector<uint64_t> content_sizes;

 private:
  std::shared_ptr<const Services> services_;
  queue::Spool spool_;
};

// Runs one session to its end over `chunks` (see io::MemoryStream: an
// empty chunk is a pause, the client waiting for replies).
inline io::MemoryStream::Transcript run(FakeHost& host, std::deque<std::string> chunks,
                                       ListenerKind kind = ListenerKind::smtp) {
  asio::io_context ctx;
  auto t = std::make_shared<io::MemoryStream::Transcript>();
  auto stream = std::make_unique<io::MemoryStream>(ctx.get_executor(), std::move(chunks), t);
  auto session = std::make_shared<Session>(host, std::move(stream), io::Peer{"127.0.0.1", 25}, kind);
  asio::co_spawn(ctx, session->run(), asio::detached);
  ctx.run();  // `session` keeps it alive until its coroutine takes its own reference
  return *t;
}

}  // namespace tern::smtp::harness
