// Message content: DATA and BDAT, then the shared end-of-message checks
// (size, bare newlines, NUL, hop count) and the durable commit. The 250
// reply is written only after the Committer reports the queue file and its
// directory entry fsynced (RELIABILITY.md #1).
//
// DATA and BDAT share how content is read (read_content: one deadline per
// smtpd_timeout, moved only after every 64 KiB, so a trickle cannot hold
// the session), where it goes (store_content: the one place decoded content
// passes on its way to the draft) and how the end is judged (finish_message).
//
// SECURITY: content is attacker bytes; memory stays bounded (the decoders
// keep nothing past message_size_limit, the draft spills to disk past 1 MiB)
// and the transaction is always read to its end (the dot, or the declared
// chunk size) before any reply, so the session stays in sync.
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <time.h>

#include <tuple>

#include "base/log.h"
#include "base/strings.h"
#include "base/time.h"
#include "mail/headers.h"
#include "smtp/proto/data_reader.h"
#include "smtp/server/async_commit.h"
#include "smtp/server/session.h"

namespace tern::smtp {

namespace {

constexpr size_t kHeaderScanBytes = 64 * 1024;
// A client must send at least this much per smtpd_timeout during content.
constexpr uint64_t kMinBytesPerTimeout = 64 * 1024;

}  // namespace

std::string Session::protocol_name() const {
  // RFC 3848: an S for TLS (and, with SMTP AUTH, an A after it).
  std::string p = tx_.smtputf8 ? "UTF8SMTP" : esmtp_ ? "ESMTP" : "SMTP";
  if (tls_active_) p += "S";
  return p;
}

std::string Session::received_header(const std::string& id) const {
  std::string proto = protocol_name();
  // helo_ holds no control byte (parser) and at most 255 bytes (cmd_helo).
  std::string helo = helo_.empty() ? "unknown" : helo_;
  // Postfix's form: "from HELO (name [ip])", the name confirmed or "unknown".
  // An IPv6 address gets the "IPv6:" tag as an address literal does.
  std::string out = fmt::format("Received: from {} ({} [{}{}])", helo, client_.name,
                                client_.ip.find(':') != std::string::npos ? "IPv6:" : "", client_.ip);
  // As Postfix writes it (smtpd_tls_received_header); the protocol and
  // cipher names come from OpenSSL, not from the client.
  if (tls_active_ && lim_.tls_received_header)
    out += fmt::format("\n\t(using {} with cipher {} ({}/{} bits))\n\t(No client certificate requested)",
                       tls_.protocol, tls_.cipher, tls_.bits, tls_.alg_bits);
  out += fmt::format("\n\tby {} (tern) with {} id {}", lim_.hostname, proto, id);
  if (tx_.recipients.size() == 1) out += fmt::format("\n\tfor <{}>", str::printable(tx_.recipients[0], 300));
  out += fmt::format("; {}\n", rfc5322_date(::time(nullptr)));
  return out;
}

Status Session::start_draft() {
  queue::Envelope env;
  env.set_arrival_now();
  env.client = client_name_;
  env.helo = helo_;
  env.protocol = protocol_name();
  env.smtputf8 = tx_.smtputf8;
  env.eightbit = tx_.eightbit;
  env.sender = tx_.sender;
  env.envid = tx_.envid;
  env.ret = tx_.ret == "FULL" ? queue::DsnRet::full : tx_.ret == "HDRS" ? queue::DsnRet::hdrs : queue::DsnRet::unspecified;
  for (size_t i = 0; i < tx_.recipients.size(); ++i) {
    queue::Recipient r;
    r.address = tx_.recipients[i];
    if (i < tx_.recipient_dsn.size()) std::tie(r.notify, r.orcpt) = tx_.recipient_dsn[i];
    env.recipients.push_back(std::move(r));
  }
  tx_.headers = mail::HeaderLimiter(lim_.header_bytes, lim_.header_lines);
  auto d = queue::Draft::create(host_.spool(), env, services_->canonical);
  if (!d) return d.error();
  auto st = (*d)->append(received_header((*d)->id()));
  if (!st) return st.error();
  tx_.draft = std::move(*d);
  tx_.header_scan.clear();
  tx_.write_failed = false;
  return ok_status();
}

void Session::store_content(std::string& decoded, bool too_big) {
  tx_.headers.feed(decoded);
  if (tx_.header_scan.size() < kHeaderScanBytes)
    tx_.header_scan.append(decoded, 0, std::min(decoded.size(), kHeaderScanBytes - tx_.header_scan.size()));
  if (tx_.draft && !tx_.write_failed && !too_big && !decoded.empty()) {
    auto st = tx_.draft->append(decoded);
    if (!st) {
      log::error("{}: queue file write error: {}", tx_.draft->id(), st.error().detail);
      tx_.write_failed = true;
    }
  }
  decoded.clear();
}

asio::awaitable<bool> Session::read_content(const char* during) {
  if (content_since_arm_ >= kMinBytesPerTimeout) {
    // A minimum data rate, not a reset per byte (RELIABILITY.md #25).
    watchdog_->arm(lim_.timeout);
    content_since_arm_ = 0;
  }
  // About to wait for the client: send the replies queued so far (earlier
  // commands of a pipelined group, a BDAT chunk's), as the command loop
  // does; a client may wait for them before it sends the rest.
  co_await flush();
  bool more = !closed_ && co_await fill(during);
  if (!more) reset_transaction();
  co_return more;
}

void Session::start_content() {
  watchdog_->arm(lim_.timeout);
  content_since_arm_ = 0;
}

asio::awaitable<Status> Session::commit(std::unique_ptr<queue::Draft> draft) {
  std::string err = co_await async_commit(host_, std::move(draft), asio::use_awaitable);
  if (!err.empty()) co_return Error::temp(err);
  co_return ok_status();
}

asio::awaitable<void> Session::finish_message(uint64_t size, bool too_big, bool bare_newline, bool nul) {
  watchdog_->arm(lim_.timeout);
  Reply r;
  if (too_big) {
    r = Reply(552, "5.3.4", "Error: message file too big");
  } else if (tx_.headers.over()) {
    r = tx_.headers.verdict() == mail::HeaderLimiter::Verdict::too_big
            ? Reply(552, "5.3.4", "Error: message header size exceeds limit")
            : Reply(552, "5.3.4", "Error: too many message header lines");
  } else if (bare_newline) {
    r = Reply(550, "5.5.2", "Error: bare <CR> or <LF> received; lines must end with <CR><LF>");
  } else if (nul) {
    r = Reply(554, "5.6.0", "Error: message content contains NUL characters");
  } else if (mail::count_received(tx_.header_scan) >= lim_.hopcount) {
    r = Reply(554, "5.4.6", "Error: too many hops");
  } else if (tx_.write_failed || !tx_.draft) {
    r = Reply(451, "4.3.0", "Error: queue file write error");
  }
  std::unique_ptr<queue::Draft> draft = std::move(tx_.draft);
  std::string id = draft ? draft->id() : "NOQUEUE";
  if (r.code != 250) {
    if (draft) draft->abort();
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
    if (client_.authenticated)
      log::info("{}: client={}, sasl_method={}, sasl_username={}", id, client_name_, client_.sasl_method,
                str::printable(client_.sasl_user));
    else
      log::info("{}: client={}", id, client_name_);
    log::info("{}: from=<{}>, size={}, nrcpt={} (queue active)", id, str::printable(tx_.sender), size,
              tx_.recipients.size());
    st = co_await commit(std::move(draft));
  }
  reset_transaction();
  if (!st) {
    log::error("{}: queue file write error: {}", id, st.error().detail);
    reply(451, "4.3.0", "Error: queue file write error");
    co_return;
  }
  reply(250, "2.0.0", "Ok: queued as " + id);
}

asio::awaitable<void> Session::cmd_data(const Command&) {
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
    reset_transaction();
    hang_up(HangUp::sync);
    co_return;
  }
  if (auto st = start_draft(); !st) {
    if (!st.error().dsn.empty()) {
      // A canonical map that cannot answer (the draft rewrites the envelope).
      log::warn("NOQUEUE: reject: DATA from {}: 451 {} {}; from=<{}>", client_name_, st.error().dsn,
                str::printable(st.error().detail), str::printable(tx_.sender));
      reply(451, st.error().dsn, "Error: temporary lookup failure");
      co_return;
    }
    log::error("NOQUEUE: cannot create queue file: {}", st.error().detail);
    reply(451, "4.3.0", "Error: queue file write error");
    co_return;
  }
  reply(354, "", "End data with <CR><LF>.<CR><LF>");
  co_await flush();
  if (closed_) {
    reset_transaction();
    co_return;
  }
  DataReader reader(lim_.message_bytes,
                    lim_.normalize_bare_newline ? DataReader::BareNewline::normalize : DataReader::BareNewline::reject);
  start_content();
  while (!reader.done()) {
    if (splitter_.pending_size() == 0) {
      bool more = co_await read_content("DATA");
      if (!more) co_return;
    }
    size_t used = reader.feed(splitter_.pending());
    splitter_.consume(used);  // what follows the dot is the next command
    content_since_arm_ += used;
    store_content(reader.output(), reader.too_big());
  }
  co_await finish_message(reader.total_bytes(), reader.too_big(),
                          reader.saw_bare_newline() && !lim_.normalize_bare_newline, reader.saw_nul());
}

asio::awaitable<void> Session::cmd_bdat(const Command& c) {
  // The chunk is always read, whatever the reply, to stay in sync.
  bool usable = tx_.active && !tx_.recipients.empty() && !tx_.write_failed;
  if (usable && !tx_.draft) {
    if (auto st = start_draft(); !st) {
      log::error("NOQUEUE: cannot create queue file: {}", st.error().detail);
      tx_.write_failed = true;
      usable = false;
    } else {
      tx_.bdat = std::make_unique<BdatDecoder>(lim_.message_bytes);
    }
  }
  start_content();
  for (uint64_t left = c.chunk_size; left > 0;) {
    if (splitter_.pending_size() == 0) {
      bool more = co_await read_content("BDAT");
      if (!more) co_return;
    }
    std::string_view bytes = splitter_.pending().substr(0, static_cast<size_t>(std::min<uint64_t>(left, splitter_.pending_size())));
    left -= bytes.size();
    content_since_arm_ += bytes.size();
    if (usable) {
      tx_.bdat->feed(bytes);
      store_content(tx_.bdat->output(), tx_.bdat->too_big());
    }
    splitter_.consume(bytes.size());
  }
  if (!tx_.active) {
    reply(503, "5.5.1", "Error: need MAIL command");
    co_return;
  }
  if (tx_.recipients.empty()) {
    reply(554, "5.5.1", "Error: no valid recipients");
    co_return;
  }
  if (tx_.write_failed) {
    if (c.last) reset_transaction();
    reply(451, "4.3.0", "Error: queue file write error");
    co_return;
  }
  if (!c.last) {
    if (tx_.bdat->too_big()) {
      // Over the limit already: refuse now, the rest of the chunks get 503.
      reset_transaction();
      reply(552, "5.3.4", "Error: message file too big");
      co_return;
    }
    reply(250, "2.0.0", fmt::format("Ok: {} octets received", c.chunk_size));
    co_return;
  }
  tx_.bdat->finish();
  store_content(tx_.bdat->output(), tx_.bdat->too_big());
  auto bdat = std::move(tx_.bdat);
  co_await finish_message(bdat->total_bytes(), bdat->too_big(), false, bdat->saw_nul());
}

}  // namespace tern::smtp
