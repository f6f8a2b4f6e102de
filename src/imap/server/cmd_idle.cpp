// IDLE (RFC 2177, RFC 9051 6.3.13): "+ idling", then the mailbox's changes
// as they come, until the client sends DONE. Changes are pushed: the
// mailbox's watch (store/change_hub.h, fed by this process's changes and by
// inotify for other processes') posts to the session, which interrupts its
// read, syncs and reads on, so new mail reaches the client at once. Where
// the kernel's watch misses a change, looking every idle_poll finds it
// (Dovecot's mailbox_idle_check_interval is 30 s too): a second Watchdog,
// kept across pushes, interrupts the read the same way. The command
// deadline (imapd_timeout) still applies: a client must re-IDLE before it
// (RFC 2177: every 29 minutes).
//
// With NOTIFY on (cmd_notify.cpp), its notifications come during IDLE too.
//
// SECURITY: what the client sends while idling is one line, bounded by the
// reader's line limit; anything but DONE ends IDLE with BAD.
#include <algorithm>
#include <atomic>
#include <memory>
#include <utility>

#include "imap/proto/chars.h"
#include "imap/server/notify_state.h"
#include "imap/server/session.h"
#include "io/batched_post.h"

namespace tern::imap {

// The change hub's word, carried to an IDLE session on its own loop, batched
// with the other sessions of the loop (io/batched_post.h). Made once per
// IDLE; the session may be gone when it runs.
class Session::IdlePush final : public io::BatchedTask {
 public:
  IdlePush(asio::any_io_executor ex, std::weak_ptr<Session> session)
      : BatchedTask(std::move(ex)), session_(std::move(session)) {}
  // On the telling thread: the change was told at the hub's generation `told`.
  void tell(uint64_t told) {
    uint64_t seen = told_.load();
    while (seen < told && !told_.compare_exchange_weak(seen, told)) {
    }
    schedule();
  }

 private:
  void run() override {
    auto s = session_.lock();
    if (!s) return;
    s->idle_pushed_ = true;
    s->idle_told_ = std::max(s->idle_told_, told_.exchange(0));
    if (s->idle_poll_) s->idle_poll_->fire_now();
  }
  std::weak_ptr<Session> session_;
  std::atomic<uint64_t> told_{0};
};

asio::awaitable<void> Session::cmd_idle(const Call& k) {
  if (!k.c.args.empty()) {
    bad(k, "IDLE takes no arguments.");
    co_return;
  }
  out_ += "+ idling\r\n";
  // Pushes: the watch's callback runs on the changing thread and queues
  // the session's IdlePush to its loop.
  std::unique_ptr<store::ChangeHub::Watch> watch;
  idle_pushed_ = false;
  idle_told_ = 0;
  if (box_) {
    auto push = std::make_shared<IdlePush>(stream_->get_executor(), weak_from_this());
    watch = box_->watch([push] { push->tell(store::ChangeHub::process().generation()); });
  }
  if (state_ == State::selected) sync(true);
  std::shared_ptr<io::Watchdog> poll;
  for (;;) {
    std::string line;
    bool too_long = false;
    if (reader_.next_line(line, too_long)) {
      if (!too_long && iequals(line, "DONE")) ok(k, "Idle completed.");
      else bad(k, "Expected DONE.");
      break;
    }
    co_await flush();
    if (closed_) break;
    // The poll's watchdog lasts across rounds: pushed to, it only needs
    // rewinding; fired by its deadline, it is made again.
    if (!poll || !poll->rewind()) {
      if (poll) poll->stop();
      poll = std::make_shared<io::Watchdog>(*stream_, host_.clock());
      poll->start();
    }
    // A push that came while the session was busy: look again at once.
    const bool pushed_while_busy = idle_pushed_;
    poll->arm(pushed_while_busy ? std::chrono::seconds(0) : set_.idle_poll);
    idle_pushed_ = false;
    idle_poll_ = poll;
    bool more = co_await fill("IDLE");
    bool polled = poll->fired();
    idle_poll_.reset();
    if (!more) break;
    if (!polled) continue;
    // Told of a change, the session may take the look at the folder another
    // session of the process took since; woken by the poll, it looks itself
    // (for what other processes changed unseen by the kernel's watch).
    // The push that woke it is used up here: left set, it would make the
    // next round look again at once, for nothing.
    const bool pushed = std::exchange(idle_pushed_, false) || pushed_while_busy;
    const bool by_poll = poll->fired_by_deadline() && !pushed;
    const uint64_t told = std::exchange(idle_told_, 0);
    // With NOTIFY on, its report covers the selected mailbox when asked to
    // (with MessageNew's FETCH), and the other mailboxes.
    bool notified_selected = false;
    if (notify_) {
      if (!notify_->pending() && !pushed) notify_->all = true;  // the timer
      const NotifyPlan::Group* sel = notify_->plan.selected();
      notified_selected = sel && sel->events.message_new;
      notify_report();
    }
    if (state_ == State::selected && !notified_selected) sync(true, by_poll ? 0 : told);
  }
  if (poll) poll->stop();
}

}  // namespace tern::imap
