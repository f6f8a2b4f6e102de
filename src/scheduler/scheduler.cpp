// Implementation of the active queue (see scheduler.h).
#include "scheduler/scheduler.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "base/fd.h"
#include "base/file_bytes.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "queue/reader.h"
#include "scheduler/bouncer.h"

namespace tern::scheduler {

namespace {

// Records a queue run's progress in the queue file itself.
class FileProgress : public ProgressLog {
 public:
  FileProgress(const std::string& path, const std::string& id) : path_(path), id_(id) {}
  void target_done(const queue::Recipient& r, const std::string& key) override {
    auto st = queue::append_target_done(path_, r, key);
    if (!st) log::warn("{}: cannot record a delivered target of <{}>: {}", id_, str::printable(r.address),
                       st.error().detail);
  }
  void recipient_done(const queue::Recipient& r) override {
    auto st = queue::mark_done(path_, r, false);
    if (!st) log::warn("{}: cannot cross off <{}>: {}", id_, str::printable(r.address), st.error().detail);
    marked = true;
  }
  bool marked = false;

 private:
  const std::string& path_;
  const std::string& id_;
};

// Writes a pass's records to the file at once, except those of recipients
// with a permanent failure so far: they wait until the pass's notification
// is durable (bouncer.h), so a crash before it repeats the failure (and the
// bounce) rather than losing it; a delivered target held with them may be
// delivered again after such a crash, a duplicate, never a loss. If the
// notification cannot be committed, those records are left out and a
// later pass tries (and reports) them again.
class HeldProgress : public ProgressLog {
 public:
  HeldProgress(ProgressLog& to, std::vector<PassRecipient>& pass) : to_(to), pass_(pass) {}
  void target_done(const queue::Recipient& r, const std::string& key) override {
    if (failed(r)) targets_.emplace_back(&r, key);
    else to_.target_done(r, key);
  }
  void recipient_done(const queue::Recipient& r) override {
    if (failed(r)) recipients_.push_back(&r);
    else to_.recipient_done(r);
  }
  void release(bool noticed) {
    if (noticed)
      for (auto& [r, key] : targets_) to_.target_done(*r, key);
    for (auto* r : recipients_) {
      if (noticed) {
        to_.recipient_done(*r);
        continue;
      }
      for (auto& p : pass_)
        if (p.recipient == r) p.recipient->done = false;  // stays pending: reported by a later pass
    }
  }

 private:
  bool failed(const queue::Recipient& r) const {
    for (auto& p : pass_)
      if (p.recipient == &r) return p.outcome.failed();
    return false;
  }
  ProgressLog& to_;
  std::vector<PassRecipient>& pass_;
  std::vector<std::pair<const queue::Recipient*, std::string>> targets_;
  std::vector<const queue::Recipient*> recipients_;
};

}  // namespace

// The remote agent's callbacks reach the scheduler through this, so that
// one arriving after stop() (a message abandoned at shutdown) finds no one.
struct Scheduler::Gate {
  std::mutex mu;
  Scheduler* scheduler = nullptr;
};

// One message between begin() and complete().
struct Scheduler::Job {
  std::string id, path;
  std::shared_ptr<const DeliveryServices> svc;
  fs::FileBytes bytes;
  queue::Envelope env;
  std::string_view content;
  std::vector<PassRecipient> pass;
  std::unique_ptr<PassRun> run;
  std::vector<std::vector<delivery::BatchOutcome>> outcomes;  // per batch
  size_t outstanding = 0;  // batches not answered yet (+1 while they are handed out); under mu_
};

Scheduler::Scheduler(const queue::Spool& spool, int threads, DeliverySlots& slots)
    : spool_(spool), thread_count_(threads), slots_(slots), gate_(std::make_shared<Gate>()) {
  gate_->scheduler = this;
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::set_services(std::shared_ptr<const DeliveryServices> s) {
  std::lock_guard lock(mu_);
  if (s && s->cfg) active_limit_ = static_cast<size_t>(std::max(1LL, s->cfg->integer("qmgr_message_active_limit")));
  services_ = std::move(s);
}

std::shared_ptr<const DeliveryServices> Scheduler::services() const {
  std::lock_guard lock(mu_);
  return services_;
}

void Scheduler::start() {
  // Messages deferred before the restart wait for their next attempt (the
  // defer note's mtime); the others are delivered now.
  const auto now = ::time(nullptr);
  for (auto& id : spool_.list(queue::Area::active)) {
    auto next = spool_.next_attempt(id);
    if (!next) {
      on_new_message(id);
      continue;
    }
    std::lock_guard lock(mu_);
    if (*next > now) deferred_.emplace(Clock::now() + std::chrono::seconds(*next - now), id);
    else if (queued_or_busy_.insert(id).second) due_.push_back(id);
  }
  for (int i = 0; i < thread_count_; ++i)
    threads_.emplace_back([this] {
      ::pthread_setname_np(::pthread_self(), "tern-deliver");
      worker();
    });
  threads_.emplace_back([this] {
    ::pthread_setname_np(::pthread_self(), "tern-retry");
    retry_loop();
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

void Scheduler::adopt(const std::vector<std::string>& ids) {
  {
    std::lock_guard lock(mu_);
    std::set<std::string> waiting;
    for (auto& [when, id] : deferred_) waiting.insert(id);
    for (const auto& id : ids)
      if (!waiting.count(id) && queued_or_busy_.insert(id).second) due_.push_back(id);
  }
  cv_.notify_all();
}

void Scheduler::flush() {
  forget_failures();
  {
    std::lock_guard lock(mu_);
    for (auto& [when, id] : deferred_) {
      if (queued_or_busy_.insert(id).second) due_.push_back(id);
    }
    deferred_.clear();
  }
  cv_.notify_all();
}

void Scheduler::flush_site(std::string domain) {
  forget_failures();
  {
    std::lock_guard lock(mu_);
    site_flushes_.push_back(str::lower(domain));
  }
  timer_cv_.notify_all();
}

void Scheduler::requeue(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    attempts_.erase(id);
    for (auto it = deferred_.begin(); it != deferred_.end(); ++it)
      if (it->second == id) {
        deferred_.erase(it);
        break;
      }
    if (queued_or_busy_.insert(id).second) due_.push_back(id);
  }
  cv_.notify_all();
}

void Scheduler::forget_failures() {
  if (auto svc = services(); svc && svc->remote) svc->remote->forget_failures();
}

void Scheduler::requeue_all() {
  forget_failures();
  {
    std::lock_guard lock(mu_);
    attempts_.clear();
  }
  flush();
}

// On the retry thread, with lock held: reads the envelopes of the deferred
// messages (lock released meanwhile) and makes due those with a pending
// recipient in a requested domain.
void Scheduler::flush_sites(std::unique_lock<std::mutex>& lock) {
  std::vector<std::string> domains;
  domains.swap(site_flushes_);
  std::vector<std::string> ids;
  for (auto& [when, id] : deferred_) ids.push_back(id);
  lock.unlock();
  std::set<std::string> due;
  {
    UniqueFd dir(::open(spool_.area_dir(queue::Area::active).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    for (auto& id : ids) {
      auto env = dir.valid() ? queue::read_envelope_head(dir.get(), id) : Result<queue::Envelope>(Error::perm("no dir"));
      if (!env) continue;
      for (auto& r : env->recipients) {
        auto at = r.address.rfind('@');
        std::string domain = at == std::string::npos ? std::string() : str::lower(r.address.substr(at + 1));
        if (!r.done && std::find(domains.begin(), domains.end(), domain) != domains.end()) {
          due.insert(id);
          break;
        }
      }
    }
  }
  lock.lock();
  bool moved = false;
  for (auto it = deferred_.begin(); it != deferred_.end();) {
    if (!due.count(it->second)) {
      ++it;
      continue;
    }
    if (queued_or_busy_.insert(it->second).second) {
      due_.push_back(it->second);
      moved = true;
    }
    it = deferred_.erase(it);
  }
  if (moved) cv_.notify_all();
}

void Scheduler::request_stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  slots_.cancel();
  cv_.notify_all();
  timer_cv_.notify_all();
}

void Scheduler::abandon_waiting() {
  {
    std::lock_guard lock(mu_);
    abandoned_ = true;
  }
  cv_.notify_all();
}

bool Scheduler::idle() const {
  std::lock_guard lock(mu_);
  return busy_ == 0 && in_flight_.empty();
}

void Scheduler::stop() {
  request_stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  {
    std::lock_guard gate(gate_->mu);
    gate_->scheduler = nullptr;
  }
  // Messages abandoned with batches out: their queue files stay as they
  // are; dropping them may end the remote agent (and join its thread), so
  // not under the lock.
  std::map<std::string, std::unique_ptr<Job>> left;
  {
    std::lock_guard lock(mu_);
    left.swap(in_flight_);
    continuations_.clear();
  }
  if (!left.empty()) log::info("shutdown: {} message(s) with remote deliveries in progress left for the restart", left.size());
}

void Scheduler::retry_loop() {
  std::unique_lock lock(mu_);
  auto next_scan = Clock::now();
  while (!stopping_) {
    if (!site_flushes_.empty()) flush_sites(lock);
    auto now = Clock::now();
    if (now >= next_scan) {
      bool moved = false;
      while (!deferred_.empty() && deferred_.begin()->first <= now) {
        auto id = deferred_.begin()->second;
        deferred_.erase(deferred_.begin());
        if (queued_or_busy_.insert(id).second) {
          due_.push_back(id);
          moved = true;
        }
      }
      if (moved) cv_.notify_all();
      long long delay_s = services_ ? services_->cfg->seconds("queue_run_delay") : 300;
      next_scan = now + std::chrono::seconds(delay_s < 1 ? 1 : delay_s);
    }
    timer_cv_.wait_until(lock, next_scan, [&] { return stopping_ || !site_flushes_.empty(); });
  }
}

void Scheduler::worker() {
  for (;;) {
    Job* cont = nullptr;
    std::string id;
    bool retry = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] {
        if (!continuations_.empty()) return true;
        if (stopping_) return in_flight_.empty() || abandoned_;
        return in_flight_.size() < active_limit_ && (!ready_.empty() || (!due_.empty() && retrying_ < retry_limit()));
      });
      if (!continuations_.empty() && !(stopping_ && abandoned_)) {
        cont = continuations_.front();
        continuations_.pop_front();
      } else if (stopping_) {
        return;
      } else {
        // New mail first, but every fourth pick a retry when one is due,
        // and never more than retry_limit() runners on retries at once.
        retry = !due_.empty() && retrying_ < retry_limit() && (ready_.empty() || ++picks_ % 4 == 0);
        auto& from = retry ? due_ : ready_;
        id = std::move(from.front());
        from.pop_front();
        if (retry) ++retrying_;
      }
    }
    // A continuation finishes even during shutdown (its remote deliveries
    // are done and must be recorded); it then runs without a slot.
    bool slot = slots_.acquire();
    if (!slot && !cont) return;  // shutting down
    {
      std::lock_guard lock(mu_);
      ++busy_;
    }
    if (cont) complete(*cont);
    else begin(id);
    if (slot) slots_.release();
    std::lock_guard lock(mu_);
    --busy_;
    if (retry) {
      --retrying_;
      if (!due_.empty()) cv_.notify_one();
    }
  }
}

int Scheduler::retry_limit() const { return std::max(1, thread_count_ / 4); }

void Scheduler::done_with(const std::string& id) {
  std::unique_ptr<Job> job;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = in_flight_.find(id); it != in_flight_.end()) {
      // Room in a full active limit, or the last one out at shutdown:
      // the runners waiting for that need waking; otherwise none does
      // (waking all eight for every message cost a dozen context
      // switches per message in bench/relay.sh at one session).
      wake = in_flight_.size() >= active_limit_ || (stopping_ && in_flight_.size() == 1);
      job = std::move(it->second);
      in_flight_.erase(it);
    }
    queued_or_busy_.erase(id);
  }
  if (wake) cv_.notify_all();
  // job (and possibly the services it holds) ends here, outside the lock.
}

void Scheduler::begin(const std::string& id) {
  auto job = std::make_unique<Job>();
  job->id = id;
  job->svc = services();
  job->path = spool_.path(queue::Area::active, id);
  const std::string& path = job->path;
  auto bytes = fs::FileBytes::load(path);
  if (!bytes) {
    if (fs::exists(path)) log::warn("{}: cannot read queue file: {}", id, bytes.error().detail);
    return done_with(id);  // else deleted or put on hold meanwhile
  }
  job->bytes = std::move(*bytes);
  auto env = queue::parse_queue_file(job->bytes.view(), id);
  if (!env) {
    log::error("{}: queue file is corrupt ({}); moved to the corrupt queue", id, env.error().detail);
    (void)spool_.move(id, queue::Area::active, queue::Area::corrupt);
    return done_with(id);
  }
  job->env = std::move(*env);
  job->content = job->bytes.view().substr(job->env.content_offset, job->env.content_size);
  const DeliveryServices& svc = *job->svc;
  for (auto& r : job->env.recipients)
    if (!r.done) job->pass.push_back({&r, svc.rewriter->expand(r.address), true, {}});
  job->run = std::make_unique<PassRun>(svc, job->env, job->content, job->pass);
  const auto& batches = job->run->batches();
  if (batches.empty()) return complete(*job);  // which ends with done_with()
  Job& j = *job;
  {
    std::lock_guard lock(mu_);
    j.outcomes.resize(batches.size());
    j.outstanding = batches.size() + 1;  // +1: until every batch is handed out
    in_flight_[id] = std::move(job);
  }
  for (size_t i = 0; i < batches.size(); ++i) {
    svc.remote->start_batch(j.env, j.content, batches[i],
                            [gate = gate_, id, i](std::vector<delivery::BatchOutcome> o) {
                              std::lock_guard lock(gate->mu);
                              if (gate->scheduler) gate->scheduler->batch_done(id, i, std::move(o));
                            });
  }
  {
    std::lock_guard lock(mu_);
    if (--j.outstanding != 0) return;  // a callback queues the continuation
  }
  // Every batch is answered already (most often at once: a suspended
  // destination, error: or discard:): the rest of the pass runs here, on
  // this runner, rather than queued, so a retry backlog stays on the runners retry_limit() allows
  // and never fills the continuation queue ahead of new mail's answers.
  complete(j);
}

void Scheduler::batch_done(const std::string& id, size_t batch, std::vector<delivery::BatchOutcome> outcomes) {
  std::lock_guard lock(mu_);
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  Job& j = *it->second;
  j.outcomes[batch] = std::move(outcomes);
  if (--j.outstanding == 0) {
    continuations_.push_back(&j);
    cv_.notify_one();
  }
}

void Scheduler::complete(Job& job) {
  for (size_t i = 0; i < job.outcomes.size(); ++i) job.run->batch_done(i, std::move(job.outcomes[i]));
  const std::string& id = job.id;
  const std::string& path = job.path;
  const DeliveryServices* svc = job.svc.get();
  queue::Envelope* env = &job.env;
  std::string_view content = job.content;
  auto& pass = job.pass;
  FileProgress progress(path, id);
  HeldProgress held(progress, pass);
  job.run->finish(held);

  // Lifetimes and the notification of this pass (bouncer.h): it is
  // committed before anything it reports is crossed off.
  const auto now = ::time(nullptr);
  long long age_s = static_cast<long long>(now - env->arrival);
  long long lifetime_s = svc->cfg->seconds(env->sender.empty() ? "bounce_queue_lifetime" : "maximal_queue_lifetime");
  long long warn_s = svc->cfg->seconds("delay_warning_time");
  auto retry = plan_retry(*svc, pass, age_s);  // retry_rules: past the last cutoff, returned as if expired
  bool expired = env->pending() > 0 && (age_s >= lifetime_s || retry.give_up);
  bool warn = env->pending() > 0 && !expired && warn_s > 0 && age_s >= warn_s && !env->delay_warned;
  auto settings = notice_settings(*svc->cfg, now);
  settings.retry_until = retry_until(retry, env->arrival, lifetime_s);
  Status noticed = ok_status();
  if (committer_) noticed = send_notice(*committer_, spool_, settings, *env, content, notice_lines(pass, expired, warn));
  held.release(noticed.ok());
  if (noticed && warn) {
    if (auto st = queue::append_delay_warned(path); !st)
      log::warn("{}: cannot record the delay warning: {}", id, st.error().detail);
  }
  if (noticed && expired) {
    for (auto& p : pass) {
      if (p.recipient->done) continue;
      log::info("{}: to=<{}>, relay=none, delay={}, dsn=4.4.7, status=expired, returned to sender ({})", id,
                str::printable(p.recipient->address), age_s, str::printable(p.outcome.reason, 300));
      progress.recipient_done(*p.recipient);
      p.recipient->done = true;
    }
  }
  std::string notes;
  for (auto& p : pass)
    if (!p.recipient->done)
      notes += fmt::format("{}: {}\n", str::printable(p.recipient->address), str::printable(p.outcome.reason, 300));
  if (env->pending() == 0) {
    ::unlink(path.c_str());
    ::unlink(spool_.path(queue::Area::defer, id).c_str());
    log::info("{}: removed", id);
    {
      std::lock_guard lock(mu_);
      attempts_.erase(id);
    }
    return done_with(id);
  }
  if (progress.marked) {
    // Make the cross-offs durable before the retry, so they are not redone.
    auto fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      ::fdatasync(fd);
      ::close(fd);
    }
  }
  spool_.write_defer_note(id, notes);
  defer(id, *svc, retry);
  done_with(id);
}

void Scheduler::defer(const std::string& id, const DeliveryServices& svc, const RetryPlan& plan) {
  std::unique_lock lock(mu_);
  long long delay = 1;
  if (plan.rule) {
    // retry_rules (retry_plan.h): attempts_ holds the previous interval in
    // seconds instead of a count; requeue and removal reset it alike.
    int& previous_s = attempts_[id];
    delay = plan.delay_s(previous_s);
    previous_s = static_cast<int>(delay);
  } else {
    int n = attempts_[id]++;
    auto min_s = svc.cfg->seconds("minimal_backoff_time");
    auto max_s = svc.cfg->seconds("maximal_backoff_time");
    delay = min_s;
    for (int i = 0; i < n && delay < max_s; ++i) delay *= 2;
    if (delay > max_s) delay = max_s;
  }
  if (delay < 1) delay = 1;
  deferred_.emplace(Clock::now() + std::chrono::seconds(delay), id);
  lock.unlock();
  spool_.set_next_attempt(id, ::time(nullptr) + static_cast<std::time_t>(delay));
}

}  // namespace tern::scheduler
