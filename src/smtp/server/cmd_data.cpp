// Message content: DATA and BDAT, then the shared end-of-message checks
// (size, bare newlines, NUL, hop count) and the durable commit. The 250
// reply is written only after the Committer reports the queue file and its
// directory entry fsynced (RELIABILITY.md #1).
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <time.h>

#include "base/log.h"
#include "base/strings.h"
#include "mail/headers.h"
#include "smtp/proto/data_reader.h"
#include "smtp/server/async_commit.h"
#include "smtp/server/session.h"

namespace tern::smtp {

namespace {

constexpr size_t kHeaderScanBytes = 64 * 1024;

std::string rfc2822_date(time_t t) {
  struct tm tm;
  ::localtime_r(&t, &tm);
  char buf[64];
  ::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S %z", &tm);
  return buf;
}

}  // namespace

std::string Session::received_header(const std::string& id) const {
  const char* proto = tx_.smtputf8 ? "UTF8SMTP" : esmtp_ ? "ESMTP" : "SMTP";
  std::string helo = helo_.empty() ? "unknown" : helo_;
  std::string out = fmt::format("Received: from {} ({})\n\tby {} (tern) with {} id {}", helo, client_name_,
                                lim_.hostname, proto, id);
  if (tx_.recipients.size() == 1) out += fmt::format("\n\tfor <{}>", str::printable(tx_.recipients[0], 300));
  out += fmt::format("; {}\n", rfc2822_date(::time(nullptr)));
  return out;
}

Result<std::unique_ptr<queue::Draft>> Session::start_draft() {
  queue::Envelope env;
  env.arrival = ::time(nullptr);
  env.client = client_name_;
  env.helo = helo_;
  env.protocol = esmtp_ ? "ESMTP" : "SMTP";
  env.smtputf8 = tx_.smtputf8;
  env.eightbit = tx_.eightbit;
  env.sender = tx_.sender;
  for (auto& r : tx_.recipients) env.recipients.push_back({r, false, 0});
  auto d = queue::Draft::create(server_.spool(), env);
  if (!d) return d.error();
  auto st = (*d)->append(received_header((*d)->id()));
  if (!st) return st.error();
  return d;
}

asio::awaitable<Status> Session::commit(std::unique_ptr<queue::Draft> draft) {
  std::string err = co_await async_commit(server_.committer(), std::move(draft), asio::use_awaitable);
  if (!err.empty()) co_return Error::temp(err);
  co_return ok_status();
}

asio::awaitable<void> Session::finish_message(std::unique_ptr<queue::Draft> draft, uint64_t size, bool too_big,
                                              bool bare_newline, bool nul, const std::string& header_scan) {
  Reply r;
  if (too_big) {
    r = Reply(552, "5.3.4", "Error: message file too big");
  } else if (bare_newline) {
    r = Reply(550, "5.5.2", "Error: bare <CR> or <LF> received; lines must end with <CR><LF>");
  } else if (nul) {
    r = Reply(554, "5.6.0", "Error: message content contains NUL characters");
  } else if (mail::count_received(header_scan) >= lim_.hopcount) {
    r = Reply(554, "5.4.6", "Error: too many hops");
  }
  std::string id = draft ? draft->id() : "NOQUEUE";
  if (r.code != 250 || !draft) {
    if (draft) draft->abort();
    if (r.code == 250) r = Reply(451, "4.3.0", "Error: queue file write error");
    log::info("{}: reject: END-OF-MESSAGE from {}: {}; from=<{}>", id, client_name_, r.text(), str::printable(tx_.sender));
    reset_transaction();
    reply(r);
    co_return;
  }
  if (tx_.discard) {
    draft->abort();
    log::info("{}: discard: END-OF-MESSAGE from {}; from=<{}>", id, client_name_, str::printable(tx_.sender));
    reset_transaction();
    reply(250, "2.0.0", "Ok: queued as " + id);
    co_return;
  }
  auto st = draft->finish();
  if (st) {
    // Logged before the commit, which may already deliver (and log "to=").
    log::info("{}: client={}", id, client_name_);
    log::info("{}: from=<{}>, size={}, nrcpt={} (queue active)", id, str::printable(tx_.sender), size,
              tx_.recipients.size());
    st = co_await commit(std::move(draft));
  }
  if (!st) {
    log::error("{}: queue file write error: {}", id, st.error().detail);
    reset_transaction();
    reply(451, "4.3.0", "Error: queue file write error");
    co_return;
  }
  reset_transaction();
  reply(250, "2.0.0", "Ok: queued as " + id);
}

asio::awaitable<void> Session::cmd_data() {
  if (!tx_.active) {
    reply(503, "5.5.1", "Error: need MAIL command");
    co_return;
  }
  if (tx_.draft) {
    reply(503, "5.5.1", "Error: DATA after BDAT");
    co_return;
  }
  if (tx_.recipients.empty()) {
    reply(554, "5.5.1", "Error: no valid recipients");
    co_return;
  }
  if (splitter_.pending_size() > 0) {
    // The client sent content before our 354 (RFC 2920 forbids it).
    log::warn("improper command pipelining after DATA from {}", client_name_);
    co_await close_with(Reply(554, "5.5.0", "Error: SMTP protocol synchronization"));
    co_return;
  }
  auto draft = start_draft();
  if (!draft) {
    log::error("NOQUEUE: cannot create queue file: {}", draft.error().detail);
    reply(451, "4.3.0", "Error: queue file write error");
    co_return;
  }
  reply(354, "", "End data with <CR><LF>.<CR><LF>");
  co_await flush();
  DataReader reader(lim_.message_bytes,
                    lim_.normalize_bare_newline ? DataReader::BareNewline::normalize : DataReader::BareNewline::reject);
  std::string header_scan;
  Status write_st = ok_status();
  uint64_t since_arm = 0;
  watchdog_->arm(lim_.timeout);
  while (!reader.done() && !closing_) {
    if (splitter_.pending_size() == 0) {
      if (!co_await fill()) {
        (*draft)->abort();
        reset_transaction();
        if (watchdog_->fired())
          co_await close_with(Reply(421, "4.4.2", lim_.hostname + " Error: timeout exceeded"));
        else if (interrupted_)
          co_await close_with(Reply(421, "4.3.2", lim_.hostname + " Service shutting down, closing transmission channel"));
        else
          closing_ = true;
        log::info("lost connection after DATA from {}", client_name_);
        co_return;
      }
    }
    std::string chunk = splitter_.take(splitter_.pending_size());
    size_t used = reader.feed(chunk);
    if (used < chunk.size()) {
      // Bytes after the end of data belong to the next command.
      splitter_.feed(std::string_view(chunk).substr(used));
    }
    since_arm += used;
    if (since_arm >= 64 * 1024) {  // a minimum data rate, not a reset per byte
      watchdog_->arm(lim_.timeout);
      since_arm = 0;
    }
    std::string& out = reader.output();
    if (header_scan.size() < kHeaderScanBytes)
      header_scan.append(out, 0, std::min(out.size(), kHeaderScanBytes - header_scan.size()));
    if (write_st && !out.empty()) write_st = (*draft)->append(out);
    out.clear();
  }
  watchdog_->arm(lim_.timeout);
  if (!write_st) {
    log::error("{}: queue file write error: {}", (*draft)->id(), write_st.error().detail);
    (*draft)->abort();
    reset_transaction();
    reply(451, "4.3.0", "Error: queue file write error");
    co_return;
  }
  co_await finish_message(std::move(*draft), reader.total_bytes(), reader.too_big(),
                          reader.saw_bare_newline() && !lim_.normalize_bare_newline,
                          reader.saw_nul(), header_scan);
}

asio::awaitable<void> Session::cmd_bdat(const Command& c) {
  // The chunk is always consumed, whatever the reply, to stay in sync.
  uint64_t left = c.chunk_size;
  bool usable = tx_.active && !tx_.recipients.empty() && !tx_.bdat_failed;
  if (usable && !tx_.draft) {
    auto d = start_draft();
    if (!d) {
      log::error("NOQUEUE: cannot create queue file: {}", d.error().detail);
      tx_.bdat_failed = true;
      usable = false;
    } else {
      tx_.draft = std::move(*d);
      tx_.bdat = std::make_unique<BdatDecoder>(lim_.message_bytes);
    }
  }
  watchdog_->arm(lim_.timeout);
  uint64_t since_arm = 0;
  while (left > 0) {
    if (splitter_.pending_size() == 0 && !co_await fill()) {
      reset_transaction();
      if (watchdog_->fired())
        co_await close_with(Reply(421, "4.4.2", lim_.hostname + " Error: timeout exceeded"));
      else if (interrupted_)
        co_await close_with(Reply(421, "4.3.2", lim_.hostname + " Service shutting down, closing transmission channel"));
      closing_ = true;
      co_return;
    }
    std::string chunk = splitter_.take(static_cast<size_t>(std::min<uint64_t>(left, splitter_.pending_size())));
    left -= chunk.size();
    since_arm += chunk.size();
    if (since_arm >= 64 * 1024) {
      watchdog_->arm(lim_.timeout);
      since_arm = 0;
    }
    if (!usable) continue;
    tx_.bdat->feed(chunk);
    std::string& out = tx_.bdat->output();
    if (tx_.header_scan.size() < kHeaderScanBytes)
      tx_.header_scan.append(out, 0, std::min(out.size(), kHeaderScanBytes - tx_.header_scan.size()));
    if (!out.empty() && !tx_.bdat->too_big()) {
      auto st = tx_.draft->append(out);
      if (!st) {
        log::error("{}: queue file write error: {}", tx_.draft->id(), st.error().detail);
        tx_.bdat_failed = true;
      }
    }
    out.clear();
  }
  if (!tx_.active) {
    reply(503, "5.5.1", "Error: need MAIL command");
    co_return;
  }
  if (tx_.recipients.empty()) {
    reply(554, "5.5.1", "Error: no valid recipients");
    co_return;
  }
  if (tx_.bdat_failed) {
    if (c.last) {
      reset_transaction();
      reply(451, "4.3.0", "Error: queue file write error");
    } else {
      reply(451, "4.3.0", "Error: queue file write error");
    }
    co_return;
  }
  if (!c.last) {
    if (tx_.bdat->too_big()) {
      reset_transaction();
      reply(552, "5.3.4", "Error: message file too big");
      co_return;
    }
    reply(250, "2.0.0", fmt::format("Ok: {} octets received", c.chunk_size));
    co_return;
  }
  tx_.bdat->finish();
  if (!tx_.bdat->output().empty() && !tx_.bdat->too_big()) (void)tx_.draft->append(tx_.bdat->output());
  auto draft = std::move(tx_.draft);
  std::string scan = std::move(tx_.header_scan);
  co_await finish_message(std::move(draft), tx_.bdat->total_bytes(), tx_.bdat->too_big(), false, tx_.bdat->saw_nul(),
                          scan);
}

}  // namespace tern::smtp
