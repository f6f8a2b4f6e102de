// Implementation of the active queue (see scheduler.h).
#include "scheduler/scheduler.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "queue/reader.h"

namespace tern::scheduler {

Scheduler::Scheduler(const queue::Spool& spool, int threads) : spool_(spool), thread_count_(threads) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::set_services(std::shared_ptr<const DeliveryServices> s) {
  std::lock_guard lock(mu_);
  services_ = std::move(s);
}

std::shared_ptr<const DeliveryServices> Scheduler::services() const {
  std::lock_guard lock(mu_);
  return services_;
}

void Scheduler::start() {
  for (auto& id : spool_.list(queue::Area::active)) on_new_message(id);
  for (int i = 0; i < thread_count_; ++i)
    threads_.emplace_back([this] {
      ::pthread_setname_np(::pthread_self(), "tern-deliver");
      worker();
    });
  threads_.emplace_back([this] {
    ::pthread_setname_np(::pthread_self(), "tern-retry");
    timer_loop();
  });
}

void Scheduler::on_new_message(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    if (!queued_or_busy_.insert(id).second) return;
    ready_.push_back(id);
  }
  cv_.notify_one();
}

void Scheduler::flush() {
  {
    std::lock_guard lock(mu_);
    for (auto& [when, id] : deferred_) {
      if (queued_or_busy_.insert(id).second) ready_.push_back(id);
    }
    deferred_.clear();
  }
  cv_.notify_all();
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  timer_cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void Scheduler::timer_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto now = Clock::now();
    bool moved = false;
    while (!deferred_.empty() && deferred_.begin()->first <= now) {
      auto id = deferred_.begin()->second;
      deferred_.erase(deferred_.begin());
      if (queued_or_busy_.insert(id).second) {
        ready_.push_back(id);
        moved = true;
      }
    }
    if (moved) cv_.notify_all();
    if (deferred_.empty())
      timer_cv_.wait_for(lock, std::chrono::seconds(1));
    else
      timer_cv_.wait_until(lock, std::min(deferred_.begin()->first, now + std::chrono::seconds(1)));
  }
}

void Scheduler::worker() {
  for (;;) {
    std::string id;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
      if (stopping_) return;
      id = std::move(ready_.front());
      ready_.pop_front();
    }
    process(id);
    {
      std::lock_guard lock(mu_);
      queued_or_busy_.erase(id);
    }
  }
}

void Scheduler::process(const std::string& id) {
  auto svc = services();
  const std::string path = spool_.path(queue::Area::active, id);
  auto bytes = fs::read_file(path, 1ull << 31, /*follow=*/false);
  if (!bytes) {
    if (!fs::exists(path)) return;  // deleted or put on hold meanwhile
    log::warn("{}: cannot read queue file: {}", id, bytes.error().detail);
    return;
  }
  auto env = queue::parse_queue_file(*bytes, id);
  if (!env) {
    log::error("{}: queue file is corrupt ({}); moved to the corrupt queue", id, env.error().detail);
    (void)spool_.move(id, queue::Area::active, queue::Area::corrupt);
    return;
  }
  std::string_view content = std::string_view(*bytes).substr(env->content_offset, env->content_size);
  bool any_marked = false;
  std::string notes = deliver_pending(*svc, *env, content, [&](queue::Recipient& r) {
    auto st = queue::mark_done(path, r, false);
    if (!st) log::warn("{}: cannot cross off <{}>: {}", id, r.address, st.error().detail);
    any_marked = true;
  }, false);
  if (env->pending() == 0) {
    ::unlink(path.c_str());
    ::unlink(spool_.path(queue::Area::defer, id).c_str());
    log::info("{}: removed", id);
    std::lock_guard lock(mu_);
    attempts_.erase(id);
    return;
  }
  if (any_marked) {
    // Make the cross-offs durable before the retry, so they are not redone.
    auto fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      ::fdatasync(fd);
      ::close(fd);
    }
  }
  spool_.write_defer_note(id, notes);
  std::lock_guard lock(mu_);
  int n = attempts_[id]++;
  auto min_s = svc->cfg->seconds("minimal_backoff_time");
  auto max_s = svc->cfg->seconds("maximal_backoff_time");
  long long delay = min_s;
  for (int i = 0; i < n && delay < max_s; ++i) delay *= 2;
  if (delay > max_s) delay = max_s;
  if (delay < 1) delay = 1;
  deferred_.emplace(Clock::now() + std::chrono::seconds(delay), id);
  timer_cv_.notify_all();
}

std::string Scheduler::deliver_pending(const DeliveryServices& svc, queue::Envelope& env, std::string_view content,
                                       const std::function<void(queue::Recipient&)>& cross_off, bool immediate) {
  const std::string& id = env.id;
  auto now = ::time(nullptr);
  std::string notes;
  for (auto& r : env.recipients) {
    if (r.done) continue;
    Status outcome = ok_status();
    auto targets = svc.rewriter->expand(r.address);
    if (immediate) {
      bool simple = targets.ok() && !targets->empty();
      if (simple)
        for (auto& t : *targets) simple &= t.kind == rewrite::Target::Kind::virtual_mailbox;
      if (!simple) continue;  // the queue runner takes it
    }
    if (!targets) {
      outcome = targets.error();
    } else {
      for (auto& t : *targets) {
        auto d = svc.agent->deliver(env, content, t, r.address);
        std::string orig = t.address == r.address ? "" : fmt::format(", orig_to=<{}>", str::printable(r.address));
        std::string relay = t.kind == rewrite::Target::Kind::virtual_mailbox ? "virtual" : "local";
        if (d) {
          log::info("{}: to=<{}>{}, relay={}, delay={}, dsn=2.0.0, status=sent ({})", id, str::printable(t.address),
                    orig, relay, now - env.arrival, d->how);
        } else {
          const auto& e = d.error();
          std::string dsn = e.dsn.empty() ? (e.is_temporary() ? "4.0.0" : "5.0.0") : e.dsn;
          log::info("{}: to=<{}>{}, relay={}, delay={}, dsn={}, status={} ({})", id, str::printable(t.address), orig,
                    relay, now - env.arrival, dsn, e.is_temporary() ? "deferred" : "bounced",
                    str::printable(e.detail, 300));
          // Any temporary failure keeps the whole recipient queued.
          if (outcome.ok() || e.is_temporary()) outcome = e;
        }
      }
    }
    if (!targets) {
      const auto& e = outcome.error();
      std::string dsn = e.dsn.empty() ? (e.is_temporary() ? "4.0.0" : "5.0.0") : e.dsn;
      log::info("{}: to=<{}>, relay=none, delay={}, dsn={}, status={} ({})", id, str::printable(r.address),
                now - env.arrival, dsn, e.is_temporary() ? "deferred" : "bounced", str::printable(e.detail, 300));
    }
    if (outcome.ok() || outcome.error().is_permanent()) {
      // Permanent failures are recorded in the log; DSNs come with the bounce issue.
      cross_off(r);
      r.done = true;
    } else {
      notes += fmt::format("{}: {}\n", str::printable(r.address), str::printable(outcome.error().detail, 300));
    }
  }
  return notes;
}

bool Scheduler::deliver_now(queue::Draft& draft) {
  auto svc = services();
  if (!svc) return false;
  // Views into the draft's buffer: mark_done flips single bytes in place,
  // which never moves the buffer.
  std::string_view image = draft.image();
  auto env = queue::parse_queue_file(image, draft.id());
  if (!env) return false;
  std::string_view content = image.substr(env->content_offset, env->content_size);
  deliver_pending(*svc, *env, content, [&](queue::Recipient& r) { draft.mark_done(r.type_offset); }, true);
  if (env->pending() > 0) return false;
  log::info("{}: removed", env->id);
  return true;
}

}  // namespace tern::scheduler
