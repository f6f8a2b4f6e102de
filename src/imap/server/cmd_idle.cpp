// IDLE (RFC 2177, RFC 9051 6.3.13): "+ idling", then the mailbox's changes
// as they come, until the client sends DONE. tern has no change
// notification from the store, so IDLE looks at the mailbox every
// idle_poll (Dovecot's mailbox_idle_check_interval is 30 s too): a second
// Watchdog interrupts the read, the session syncs, and reads on. The
// command deadline (imapd_timeout) still applies: a client must re-IDLE
// before it (RFC 2177: every 29 minutes).
//
// SECURITY: what the client sends while idling is one line, bounded by the
// reader's line limit; anything but DONE ends IDLE with BAD.
#include "imap/proto/chars.h"
#include "imap/server/session.h"

namespace tern::imap {

asio::awaitable<void> Session::cmd_idle(const Call& k) {
  if (!k.c.args.empty()) {
    bad(k, "IDLE takes no arguments.");
    co_return;
  }
  out_ += "+ idling\r\n";
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
    idle_poll_->arm(set_.idle_poll);
    bool more = co_await fill("IDLE");
    bool polled = idle_poll_->fired();
    idle_poll_->stop();
    idle_poll_.reset();
    if (!more) co_return;
    if (polled && state_ == State::selected) sync(true);
  }
}

}  // namespace tern::imap
