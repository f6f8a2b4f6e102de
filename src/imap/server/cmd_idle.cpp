// IDLE (RFC 2177, RFC 9051 6.3.13): "+ idling", then the mailbox's changes
// as they come, until the client sends DONE. Changes made in this process
// (a delivery, another session) are pushed: the mailbox's watch
// (store/change_hub.h) posts to the session, which interrupts its read,
// syncs and reads on, so new mail reaches the client at once. Changes by
// other processes (Dovecot, mutt) are found by looking every idle_poll
// (Dovecot's mailbox_idle_check_interval is 30 s too): a second Watchdog
// interrupts the read the same way. The command deadline (imapd_timeout)
// still applies: a client must re-IDLE before it (RFC 2177: every 29
// minutes).
//
// With NOTIFY on (cmd_notify.cpp), its notifications come during IDLE too.
//
// SECURITY: what the client sends while idling is one line, bounded by the
// reader's line limit; anything but DONE ends IDLE with BAD.
#include <asio/post.hpp>

#include "imap/proto/chars.h"
#include "imap/server/notify_state.h"
#include "imap/server/session.h"

namespace tern::imap {

asio::awaitable<void> Session::cmd_idle(const Call& k) {
  if (!k.c.args.empty()) {
    bad(k, "IDLE takes no arguments.");
    co_return;
  }
  out_ += "+ idling\r\n";
  // Pushes: the watch's callback runs on the changing thread and posts;
  // the session may be gone by then.
  std::unique_ptr<store::ChangeHub::Watch> watch;
  idle_pushed_ = false;
  if (box_) {
    watch = box_->watch([ex = stream_->get_executor(), weak = weak_from_this()] {
      asio::post(ex, [weak] {
        auto s = weak.lock();
        if (!s) return;
        s->idle_pushed_ = true;
        if (s->idle_poll_) s->idle_poll_->fire_now();
      });
    });
  }
  if (state_ == State::selected) sync(true);
  for (;;) {
    std::string line;
    bool too_long = false;
    if (reader_.next_line(line, too_long)) {
      if (!too_long && iequals(line, "DONE")) ok(k, "Idle completed.");
      else bad(k, "Expected DONE.");
      co_return;
    }
    co_await flush();
    if (closed_) co_return;
    idle_poll_ = std::make_shared<io::Watchdog>(*stream_, host_.clock());
    idle_poll_->start();
    // A push that came while the session was busy: look again at once.
    idle_poll_->arm(idle_pushed_ ? std::chrono::seconds(0) : set_.idle_poll);
    idle_pushed_ = false;
    bool more = co_await fill("IDLE");
    bool polled = idle_poll_->fired();
    idle_poll_->stop();
    idle_poll_.reset();
    if (!more) co_return;
    if (!polled) continue;
    // With NOTIFY on, its report covers the selected mailbox when asked to
    // (with MessageNew's FETCH), and the other mailboxes.
    bool notified_selected = false;
    if (notify_) {
      if (!notify_->pending() && !idle_pushed_) notify_->all = true;  // the timer
      const NotifyPlan::Group* sel = notify_->plan.selected();
      notified_selected = sel && sel->events.message_new;
      notify_report();
    }
    if (state_ == State::selected && !notified_selected) sync(true);
  }
}

}  // namespace tern::imap
