// Scheduler: the active queue. It learns about new messages from the
// Committer (NewMessageSink) and, at start-up, from active/; worker threads
// deliver them (recipient.h does one recipient); a message with recipients
// left is deferred with exponential back-off (minimal_backoff_time
// doubling up to maximal_backoff_time), and the retry thread scans the
// deferred messages every queue_run_delay, as Postfix's queue manager
// does, so a retry happens at the first scan after its back-off. With
// retry_rules set, Exim's rules choose the wait and when to give up
// instead (retry_plan.h).
//
// Each recipient is crossed off in the queue file ('R' -> 'D') after its
// delivery is durable, each target of a partly delivered recipient (or
// shared by several) gets an 'X' record; a pass delivers each final target
// of a message once (recipient.h); the file is removed when no recipient
// is left. A crash
// between a delivery and its record delivers that target again: a
// duplicate, never a loss (RELIABILITY.md #2).
//
// After each pass the recipients that failed permanently are reported to
// the sender in one DSN (bouncer.h), committed before they are crossed
// off. A message still undelivered after maximal_queue_lifetime
// (bounce_queue_lifetime for mail from <>) is returned at its next failed
// attempt: its remaining recipients fail with 4.4.7 in that DSN. Past
// delay_warning_time (when set), one "delayed" DSN is sent per message,
// recorded in the queue file ('W') so a restart does not repeat it.
//
// Remote batches do not hold a queue runner: a pass hands them to the
// remote agent (delivery::BatchAgent::start_batch) and the runner goes on
// with other messages; when the last batch is answered, the rest of the
// pass (local targets, records, bounces, deferral) is queued as a
// continuation, which runners take before anything else. At most
// qmgr_message_active_limit messages wait so at once. New messages are
// taken before retries (three of four picks), and at most a quarter of the
// runners start retries at once, so a backlog of deferred mail made due by
// a flush does not take the CPU new mail needs (bench/dead_host.sh).
//
// Delivery at acceptance is not here: see acceptance.h. Both take their
// slots from one DeliverySlots, so delivery_concurrency_limit caps them
// together.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "queue/spool.h"
#include "queue/writer.h"
#include "delivery/batch_agent.h"
#include "scheduler/recipient.h"
#include "scheduler/retry_plan.h"
#include "scheduler/slots.h"

namespace tern::scheduler {

class Scheduler : public queue::NewMessageSink {
 public:
  using Clock = std::chrono::steady_clock;
  // threads: the queue runners (delivery_concurrency_limit).
  Scheduler(const queue::Spool& spool, int threads, DeliverySlots& slots);
  ~Scheduler() override;

  void set_services(std::shared_ptr<const DeliveryServices> s);
  // Where notifications (bounces) are committed; none: nothing is sent.
  void set_committer(queue::Committer* c) { committer_ = c; }
  // Queues every message in active/ (start-up, after a crash).
  void start();
  void on_new_message(const std::string& id) override;
  // Messages found in active/ (released from hold, or put there by hand):
  // those the scheduler does not know yet become due (as retries, not as
  // new mail); the ones it knows keep their place.
  void adopt(const std::vector<std::string>& ids);
  // Makes every deferred message due now (`tern queue flush`, SIGUSR1).
  void flush();
  // postqueue -s: makes due now only the deferred messages with a pending
  // recipient in domain (lower case). The queue files are read on the
  // retry thread (envelopes only), never on the caller's.
  void flush_site(std::string domain);
  // postsuper -r: message id (in active/) is due now and its back-off
  // starts again from minimal_backoff_time. Expansion happens at every
  // pass, so the next pass uses the current configuration.
  void requeue(const std::string& id);
  // postsuper -r ALL: flush() with every back-off reset.
  void requeue_all();
  // Shutdown, first step: no new message is started; the ones being
  // delivered go on (see base/child.h cancel_all for cutting them short).
  void request_stop();
  // Shutdown cut short (shutdown_timeout): messages whose remote batches
  // are still out are left as they are, to be redone after the restart.
  void abandon_waiting();
  // True when no message is being delivered.
  bool idle() const;
  // request_stop(), then waits for the threads.
  void stop();

 private:
  struct Job;
  struct Gate;
  void worker();
  void retry_loop();
  // A message's pass: begin() reads it and starts its remote batches;
  // complete() does the rest once they are answered.
  void begin(const std::string& id);
  void batch_done(const std::string& id, size_t batch, std::vector<delivery::BatchOutcome> outcomes);
  void complete(Job& job);
  void done_with(const std::string& id);
  void defer(const std::string& id, const DeliveryServices& svc, const RetryPlan& plan);
  void flush_sites(std::unique_lock<std::mutex>& lock);
  std::shared_ptr<const DeliveryServices> services() const;
  // A flush lifts the remote agent's suspension of failing destinations.
  void forget_failures();

  const queue::Spool& spool_;
  int thread_count_;
  DeliverySlots& slots_;
  queue::Committer* committer_ = nullptr;
  mutable std::mutex mu_;
  std::condition_variable cv_, timer_cv_;
  std::deque<std::string> ready_;  // new messages
  std::deque<std::string> due_;    // retries, flushes, requeues
  int picks_ = 0;                  // to take a retry every fourth pick
  int retrying_ = 0;               // runners on a retry's begin(): at most retry_limit()
  int retry_limit() const;
  std::map<std::string, std::unique_ptr<Job>> in_flight_;  // waiting for remote batches
  std::deque<Job*> continuations_;                         // their batches answered
  size_t active_limit_ = 20000;                            // qmgr_message_active_limit
  bool abandoned_ = false;
  std::shared_ptr<Gate> gate_;  // what the agent's callbacks go through
  std::set<std::string> queued_or_busy_;
  std::multimap<Clock::time_point, std::string> deferred_;
  std::map<std::string, int> attempts_;
  std::vector<std::string> site_flushes_;  // flush_site requests for the retry thread
  std::shared_ptr<const DeliveryServices> services_;
  int busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tern::scheduler
