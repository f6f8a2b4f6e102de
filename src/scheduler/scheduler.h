// Scheduler: the active queue. It learns about new messages from the
// Committer (NewMessageSink) and, at start-up, from active/; worker threads
// deliver them; a message with recipients left is retried with exponential
// back-off (minimal_backoff_time doubling up to maximal_backoff_time).
//
// Each recipient is crossed off in the queue file ('R' -> 'D') after its
// delivery is durable; the file is removed when none is left. A crash
// between a delivery and its cross-off delivers that recipient again:
// a duplicate, never a loss (RELIABILITY.md #2).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "delivery/local_agent.h"
#include "queue/spool.h"
#include "queue/writer.h"
#include "rewrite/rewriter.h"

namespace tern::scheduler {

// What a delivery attempt uses; replaced as a whole on SIGHUP.
struct DeliveryServices {
  std::shared_ptr<const config::Config> cfg;
  std::shared_ptr<rewrite::Rewriter> rewriter;
  std::shared_ptr<delivery::Agent> agent;
};

class Scheduler : public queue::NewMessageSink, public queue::ImmediateDelivery {
 public:
  using Clock = std::chrono::steady_clock;
  Scheduler(const queue::Spool& spool, int threads);
  ~Scheduler() override;

  void set_services(std::shared_ptr<const DeliveryServices> s);
  // Queues every message in active/ (start-up, after a crash).
  void start();
  void on_new_message(const std::string& id) override;
  // Delivery at acceptance (called by the Committer before a queue file
  // exists): delivers recipients whose every target is a virtual Maildir;
  // anything else is left for the queue.
  bool deliver_now(queue::Draft& draft) override;
  // Makes every deferred message due now (`tern queue flush`, SIGUSR1).
  void flush();
  // Stops the workers after their current message.
  void stop();

 private:
  void worker();
  void timer_loop();
  void process(const std::string& id);
  // Delivers the pending recipients of env; cross_off is called for each
  // one that is done (delivered, or failed permanently). With `immediate`,
  // recipients that need anything but a virtual Maildir are skipped.
  // Returns the defer notes ("recipient: reason" lines) of the rest.
  std::string deliver_pending(const DeliveryServices& svc, queue::Envelope& env, std::string_view content,
                              const std::function<void(queue::Recipient&)>& cross_off, bool immediate);
  std::shared_ptr<const DeliveryServices> services() const;

  const queue::Spool& spool_;
  int thread_count_;
  mutable std::mutex mu_;
  std::condition_variable cv_, timer_cv_;
  std::deque<std::string> ready_;
  std::set<std::string> queued_or_busy_;
  std::multimap<Clock::time_point, std::string> deferred_;
  std::map<std::string, int> attempts_;
  std::shared_ptr<const DeliveryServices> services_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tern::scheduler
