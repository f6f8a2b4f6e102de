// Implementation of the remote delivery agent (see remote_agent.h).
#include "remote/remote_agent.h"

#include <pthread.h>

#include <asio/executor_work_guard.hpp>

#include "base/log.h"
#include "dns/settings.h"
#include "remote/destinations.h"
#include "remote/smtp_delivery.h"

namespace tern::remote {

RemoteAgent::RemoteAgent(TransportResolver transports) : transports_(std::move(transports)) {}

Result<std::shared_ptr<RemoteAgent>> RemoteAgent::create(std::shared_ptr<const config::Config> cfg) {
  auto transports = TransportResolver::create(*cfg);
  if (!transports) return transports.error();
  std::shared_ptr<RemoteAgent> a(new RemoteAgent(std::move(*transports)));
  a->cfg_ = cfg;
  if (auto o = dns::resolver_options(*cfg); !o) return o.error();
  auto smtp = SmtpSetup::create(*cfg);
  if (!smtp) return smtp.error();
  a->smtp_ = *smtp;
  long long limit = cfg->integer("smtp_destination_recipient_limit");
  a->limit_ = limit < 1 ? 1 : static_cast<size_t>(limit);
  return a;
}

Status RemoteAgent::start() const {
  std::lock_guard lock(start_mu_);
  if (io_) return ok_status();
  auto io = std::make_unique<asio::io_context>(1);
  auto resolver = dns::make_resolver(io->get_executor(), *cfg_);
  if (!resolver) return Error::with_dsn("4.3.0", "DNS resolver: " + resolver.error().detail);
  destinations_ = std::make_unique<Destinations>(*io, smtp_, *resolver);
  io_ = std::move(io);
  thread_ = std::thread([io = io_.get()] {
    ::pthread_setname_np(::pthread_self(), "tern-smtp");
    auto work = asio::make_work_guard(*io);
    io->run();
  });
  return ok_status();
}

RemoteAgent::~RemoteAgent() {
  if (!io_) return;
  io_->stop();
  if (thread_.joinable()) thread_.join();
  // Cached connections close before the io_context they belong to; the
  // coroutines still suspended in it go with it.
  destinations_.reset();
  io_.reset();
}

std::string RemoteAgent::batch_key(const rewrite::Target& t) const {
  auto tr = transports_.resolve(t.address);
  // A recipient whose transport cannot be chosen goes alone, to fail with
  // the reason in start_batch().
  if (!tr) return "unresolved:" + t.address;
  return tr->key();
}

void RemoteAgent::forget_failures() const {
  std::lock_guard lock(start_mu_);
  if (destinations_) destinations_->forget_failures();
}

void RemoteAgent::start_batch(const queue::Envelope& env, std::string_view content,
                              std::vector<delivery::BatchItem> items, Done done) const {
  auto b = std::make_unique<Batch>(Batch{env, content, std::move(items), {}, {}, std::move(done),
                                         std::vector<delivery::BatchOutcome>(), false, {}, {}});
  b->out.resize(b->items.size());
  if (b->items.empty()) return answer(std::move(b));
  auto tr = transports_.resolve(b->items.front().target->address);
  if (!tr) return answer_all(std::move(b), tr.error(), "none");
  switch (tr->kind) {
    case Transport::Kind::error: return answer_all(std::move(b), Error::with_dsn(tr->dsn, tr->text), "none");
    case Transport::Kind::discard:
      for (auto& o : b->out) o.result = delivery::Delivered{"discarded" + (tr->text.empty() ? "" : ": " + tr->text)};
      return answer(std::move(b));
    case Transport::Kind::smtp: break;
  }
  b->key = tr->key();
  b->transport = *tr;
  if (auto st = start(); !st) return answer_all(std::move(b), st.error(), "none");
  // A suspended destination is answered here, without a trip to the io thread.
  if (auto s = destinations_->suspended(b->key)) return answer_all(std::move(b), s->reason, s->relay);
  destinations_->submit(std::move(b));
}

}  // namespace tern::remote
