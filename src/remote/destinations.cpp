// Implementation of the per-destination queues and connection cache (see
// destinations.h).
#include "remote/destinations.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "base/log.h"

namespace tern::remote {

using Clock = std::chrono::steady_clock;

void answer(std::unique_ptr<Batch> b) {
  auto done = std::move(b->done);
  auto out = std::move(b->out);
  b.reset();
  done(std::move(out));
}

void answer_all(std::unique_ptr<Batch> b, const Error& e, const std::string& relay) {
  for (auto& o : b->out) {
    o.result = e;
    o.relay = relay;
  }
  answer(std::move(b));
}

Destinations::Destinations(asio::io_context& io, std::shared_ptr<const SmtpSetup> setup,
                           std::shared_ptr<dns::Resolver> resolver)
    : io_(io), setup_(std::move(setup)), resolver_(std::move(resolver)) {}

Destinations::~Destinations() = default;

std::optional<Suspension> Destinations::suspended(const std::string& key) {
  std::lock_guard lock(suspended_mu_);
  auto it = suspended_.find(key);
  if (it == suspended_.end()) return std::nullopt;
  if (Clock::now() >= it->second.until) {
    suspended_.erase(it);
    return std::nullopt;
  }
  Suspension s = it->second;
  s.reason.detail = "delivery temporarily suspended: " + s.reason.detail;
  return s;
}

void Destinations::forget_failures() {
  std::lock_guard lock(suspended_mu_);
  suspended_.clear();
}

void Destinations::submit(std::unique_ptr<Batch> b) {
  b->submitted = Clock::now();
  // The io thread owns the queues; a raw pointer crosses, as a
  // std::function must be copyable.
  asio::post(io_, [this, raw = b.release()] { enqueue(std::unique_ptr<Batch>(raw)); });
}

void Destinations::enqueue(std::unique_ptr<Batch> b) {
  if (auto s = suspended(b->key)) return answer_all(std::move(b), s->reason, s->relay);
  std::string key = b->key;
  Dest& d = dests_[key];
  d.waiting.push_back(std::move(b));
  if (d.active < setup_->destination_limit) start_runner(key, d);
}

void Destinations::start_runner(const std::string& key, Dest& d) {
  if (d.waiting.empty() || d.active >= setup_->destination_limit) return;
  if (active_total_ >= setup_->process_limit) {
    if (!d.starved) {
      d.starved = true;
      starved_.push_back(key);
    }
    return;
  }
  ++d.active;
  ++active_total_;
  auto b = std::move(d.waiting.front());
  d.waiting.pop_front();
  asio::co_spawn(io_, run(key, std::move(b)), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log::error("SMTP delivery coroutine failed: {}", ex.what());
    }
  });
}

SessionPtr Destinations::take_idle(Dest& d) {
  while (!d.idle.empty()) {
    SessionPtr s = std::move(d.idle.back().session);
    d.idle.pop_back();
    if (s && s->still_open()) return s;
  }
  return nullptr;
}

void Destinations::park(const std::string& key, Dest& d, SessionPtr s) {
  uint64_t id = ++next_id_;
  d.idle.push_back({id, std::move(s)});
  asio::co_spawn(io_, reap(key, id), asio::detached);
}

asio::awaitable<void> Destinations::reap(std::string key, uint64_t id) {
  asio::steady_timer timer(io_);
  timer.expires_after(setup_->cache_time);
  asio::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  auto it = dests_.find(key);
  if (it == dests_.end()) co_return;
  auto& idle = it->second.idle;
  for (auto p = idle.begin(); p != idle.end(); ++p) {
    if (p->id != id) continue;
    SessionPtr s = std::move(p->session);
    idle.erase(p);
    if (s) co_await s->quit();
    break;
  }
  forget_if_unused(key);
}

void Destinations::forget_if_unused(const std::string& key) {
  auto it = dests_.find(key);
  if (it != dests_.end() && it->second.active == 0 && it->second.waiting.empty() && it->second.idle.empty() &&
      !it->second.starved)
    dests_.erase(it);
}

void Destinations::answer_waiting(Dest& d, const Suspension& s) {
  while (!d.waiting.empty()) {
    auto b = std::move(d.waiting.front());
    d.waiting.pop_front();
    answer_all(std::move(b), s.reason, s.relay);
  }
}

asio::awaitable<void> Destinations::run(std::string key, std::unique_ptr<Batch> b) {
  SessionPtr session;
  for (;;) {
    b->started = Clock::now();
    if (!session) session = take_idle(dests_[key]);
    co_await deliver_by_smtp(*setup_, resolver_, clock_, *b, session);
    bool suspend = b->host_failed && !b->out.empty() && !b->out.front().result;
    if (suspend) {
      std::lock_guard lock(suspended_mu_);
      suspended_[key] = Suspension{Clock::now() + setup_->hold, b->out.front().result.error(), b->out.front().relay};
    }
    answer(std::move(b));
    Dest& d = dests_[key];
    if (auto s = suspended(key)) answer_waiting(d, *s);
    if (d.waiting.empty()) break;
    b = std::move(d.waiting.front());
    d.waiting.pop_front();
  }
  Dest& d = dests_[key];
  if (session) {
    if (setup_->cache && setup_->cache_time.count() > 0) park(key, d, std::move(session));
    else co_await session->quit();
  }
  Dest& after = dests_[key];  // the quit above may have let others run
  --after.active;
  --active_total_;
  // A batch that came while the QUIT was under way may have no session.
  start_runner(key, after);
  // Then the destinations that waited for a slot of default_process_limit.
  while (active_total_ < setup_->process_limit && !starved_.empty()) {
    std::string k = std::move(starved_.front());
    starved_.pop_front();
    auto it = dests_.find(k);
    if (it == dests_.end()) continue;
    it->second.starved = false;
    start_runner(k, it->second);
    forget_if_unused(k);
  }
  forget_if_unused(key);
}

}  // namespace tern::remote
