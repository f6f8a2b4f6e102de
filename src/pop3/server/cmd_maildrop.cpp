// The TRANSACTION state (RFC 1939 section 5) and UPDATE (section 6): STAT,
// LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, and QUIT, the only place
// deletions are committed. Messages go out through pop3::MultilineEncoder
// (CRLF, dot-stuffing, TOP's cut) in 64 KiB reads, so a large message is
// never held whole, and the command deadline moves with each chunk sent.
//
// A read error after "+OK" cannot be reported in the protocol (the client
// would take the partial message as whole): the session logs it and closes
// without the final ".", which every client treats as a failed RETR.
#include <array>

#include "base/log.h"
#include "base/strings.h"
#include "pop3/server/session.h"

namespace tern::pop3 {
namespace {
constexpr size_t kReadChunk = 64 * 1024;
}  // namespace

uint64_t Session::live_count() const {
  return static_cast<uint64_t>(std::count(deleted_.begin(), deleted_.end(), false));
}

uint64_t Session::live_octets() const {
  uint64_t total = 0;
  const auto& msgs = drop_->messages();
  for (size_t i = 0; i < msgs.size(); ++i)
    if (!deleted_[i]) total += msgs[i].size;
  return total;
}

const MessageInfo* Session::message(uint32_t n) {
  if (n == 0 || n > deleted_.size()) {
    err("No such message");
    return nullptr;
  }
  if (deleted_[n - 1]) {
    err(fmt::format("Message {} already deleted", n));
    return nullptr;
  }
  return &drop_->messages()[n - 1];
}

asio::awaitable<void> Session::cmd_stat(const Command&) {
  ok(fmt::format("{} {}", live_count(), live_octets()));
  co_return;
}

asio::awaitable<void> Session::cmd_list(const Command& c) {
  if (c.msg) {
    if (const auto* m = message(*c.msg)) ok(fmt::format("{} {}", *c.msg, m->size));
    co_return;
  }
  ok(fmt::format("{} messages ({} octets)", live_count(), live_octets()));
  const auto& msgs = drop_->messages();
  for (size_t i = 0; i < msgs.size(); ++i)
    if (!deleted_[i]) out_ += fmt::format("{} {}\r\n", i + 1, msgs[i].size);
  out_ += kEndOfMultiline;
}

asio::awaitable<void> Session::cmd_uidl(const Command& c) {
  if (c.msg) {
    if (const auto* m = message(*c.msg)) ok(fmt::format("{} {}", *c.msg, m->uid));
    co_return;
  }
  ok("");
  const auto& msgs = drop_->messages();
  for (size_t i = 0; i < msgs.size(); ++i)
    if (!deleted_[i]) out_ += fmt::format("{} {}\r\n", i + 1, msgs[i].uid);
  out_ += kEndOfMultiline;
}

asio::awaitable<void> Session::cmd_retr(const Command& c) {
  // Not `if (co_await ...)`: GCC 12 miscompiles a co_await in a condition
  // into a trap (SIGILL).
  const bool whole = co_await send_message(*c.msg, std::nullopt);
  if (whole) retrieved_[*c.msg - 1] = true;
}

asio::awaitable<void> Session::cmd_top(const Command& c) { co_await send_message(*c.msg, c.lines); }

asio::awaitable<bool> Session::send_message(uint32_t n, std::optional<uint64_t> body_lines) {
  const MessageInfo* m = message(n);
  if (!m) co_return false;
  auto reader = drop_->open_message(n - 1);
  if (!reader) {
    log::warn("pop3: {}: user={}: cannot read message {} ({}): {}", client_name_, str::printable(user_), n, m->uid,
              reader.error().detail);
    err("Cannot read the message; try again later", RespCode::sys_temp);
    co_return false;
  }
  ok(body_lines ? std::string() : fmt::format("{} octets", m->size));
  MultilineEncoder enc(body_lines);
  std::array<char, kReadChunk> buf;
  while (enc.wants_more()) {
    auto got = (*reader)->read(buf);
    if (!got) {
      log::warn("pop3: {}: user={}: read error in message {} ({}): {}; closing", client_name_,
                str::printable(user_), n, m->uid, got.error().detail);
      hang_up_ = true;  // no final "."; the client must not take the part as whole
      co_return false;
    }
    if (*got == 0) break;
    enc.feed(std::string_view(buf.data(), *got), out_);
    if (out_.size() >= kReadChunk) {
      co_await flush();
      if (closed_) co_return false;
      watchdog_->arm(set_.timeout);
    }
  }
  enc.finish(out_);
  co_return true;
}

asio::awaitable<void> Session::cmd_dele(const Command& c) {
  if (!message(*c.msg)) co_return;
  deleted_[*c.msg - 1] = true;
  ok(fmt::format("Message {} deleted", *c.msg));
}

asio::awaitable<void> Session::cmd_rset(const Command&) {
  std::fill(deleted_.begin(), deleted_.end(), false);
  ok(fmt::format("maildrop has {} messages ({} octets)", live_count(), live_octets()));
  co_return;
}

asio::awaitable<void> Session::cmd_noop(const Command&) {
  ok("");
  co_return;
}

asio::awaitable<void> Session::cmd_quit(const Command&) {
  if (state_ == State::authorization) {
    hang_up(ok_line("Logging out"));
    co_return;
  }
  // UPDATE (RFC 1939 section 6). Retrieved messages that stay become
  // \Seen first, as Dovecot marks them (pop3_no_flag_updates = no), so an
  // IMAP client shows them read; a failure there only costs the flag.
  std::vector<size_t> gone, seen;
  for (size_t i = 0; i < deleted_.size(); ++i) {
    if (deleted_[i])
      gone.push_back(i);
    else if (retrieved_[i])
      seen.push_back(i);
  }
  if (!seen.empty())
    if (auto st = drop_->mark_seen(seen); !st)
      log::warn("pop3: {}: user={}: marking {} message(s) seen failed: {}", client_name_, str::printable(user_),
                seen.size(), st.error().detail);
  if (!gone.empty()) {
    auto st = drop_->commit_deletions(gone);
    if (!st) {
      log::warn("pop3: {}: user={}: deleting {} message(s) failed: {}", client_name_, str::printable(user_),
                gone.size(), st.error().detail);
      hang_up(err_line("Some deleted messages were not removed", RespCode::sys_temp));
      drop_.reset();
      co_return;
    }
    log::info("pop3: {}: user={}: {} message(s) deleted", client_name_, str::printable(user_), gone.size());
  }
  std::fill(deleted_.begin(), deleted_.end(), false);  // committed: nothing for the end of run() to report
  drop_.reset();
  hang_up(ok_line(gone.empty() ? "Logging out" : fmt::format("Logging out, {} messages deleted", gone.size())));
}

}  // namespace tern::pop3
