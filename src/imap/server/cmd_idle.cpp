// IDLE (RFC 2177, RFC 9051 6.3.13): "+ idling", then the mailbox's changes
// as they come, until the client sends DONE. Changes are pushed: the
// mailbox's watch (store/change_hub.h, fed by this process's changes and by
// inotify for other processes') posts to the session, which looks at the
// folder and sends what changed while its read stays outstanding
// (push_in_place), so new mail reaches the client at once. Where the
// kernel's watch misses a change, looking every idle_poll finds it
// (Dovecot's mailbox_idle_check_interval is 30 s too): a second Watchdog,
// kept across pushes, interrupts the read to look. The command
// deadline (imapd_timeout) still applies: a client must re-IDLE before it
// (RFC 2177: every 29 minutes).
//
// With NOTIFY on (cmd_notify.cpp), its notifications come during IDLE too.
//
// SECURITY: what the client sends while idling is one line, bounded by the
// reader's line limit; anything but DONE ends IDLE with BAD.
#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <utility>

#include "base/log.h"

#include "imap/proto/chars.h"
#include "imap/server/notify_state.h"
#include "imap/server/session.h"
#include "io/await_callback.h"
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
    const uint64_t told = told_.exchange(0);
    if (s->idle_in_place_) {
      s->push_in_place(told);
      return;
    }
    s->idle_pushed_ = true;
    s->idle_told_ = std::max(s->idle_told_, told);
    if (s->idle_poll_) s->idle_poll_->fire_now();
  }
  std::weak_ptr<Session> session_;
  std::atomic<uint64_t> told_{0};
};

// A push while the IDLE read waits: the session looks at the folder and
// sends what changed at once, leaving the read outstanding (interrupting it
// and starting it again cost a cancel, three coroutine resumptions and a
// recv that finds nothing, per session, with tens of thousands woken by one
// delivery). The stream allows one write beside the one read; pushes that
// come while one is being sent join out_ and go with the next.
void Session::push_in_place(uint64_t told) {
  sync(true, told);
  release_folder_handles(/*long_wait=*/true);
  if (out_.empty() || push_writing_ || closed_ || write_failed_) return;
  // Mostly the socket takes it all at once; what it does not take goes
  // through a writer coroutine, which waits for room.
  asio::error_code ec;
  size_t n = stream_->try_write(asio::buffer(out_), ec);
  if (ec) return push_broke();
  out_.erase(0, n);
  if (out_.empty()) return;
  push_writing_ = true;
  asio::co_spawn(stream_->get_executor(), push_writer(shared_from_this()), asio::detached);
}

// Cancelled by a deadline (the read ends too) or a broken connection: how
// much of the push went out is unknown, so nothing more may be sent.
void Session::push_broke() {
  if (!watchdog_->fired()) log::info("imap: lost connection writing to {}", client_name_);
  write_failed_ = true;
  out_.clear();
  stream_->cancel();
}

asio::awaitable<void> Session::push_writer(std::shared_ptr<Session> self) {
  std::string sending;
  while (!out_.empty() && !write_failed_) {
    sending.swap(out_);
    asio::error_code ec;
    co_await stream_->write(asio::buffer(sending), ec);
    sending.clear();
    if (ec) push_broke();
  }
  push_writing_ = false;
  if (push_done_) std::exchange(push_done_, nullptr)(0);
}

asio::awaitable<void> Session::push_settled() {
  if (!push_writing_) co_return;
  co_await io::await_callback<int>([this](std::function<void(int)> done) { push_done_ = std::move(done); });
}

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
    // With NOTIFY's reports to make, a push interrupts the read as the
    // poll does; otherwise it is answered beside the read.
    idle_in_place_ = !notify_;
    bool more = co_await fill("IDLE");
    idle_in_place_ = false;
    co_await push_settled();
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
