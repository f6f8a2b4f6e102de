// The SMTP client's mail transaction: MAIL FROM, one RCPT TO per
// recipient, then DATA and the dot-stuffed content, or BDAT chunks
// (RFC 3030) when the server offers CHUNKING. With PIPELINING (RFC 2920)
// MAIL, every RCPT and DATA go in one write and the replies are read in
// order; without it each command waits for its reply. What the replies
// mean per recipient is smtp::evaluate_transaction's (pure, transaction.h);
// this file does the I/O and words the results.
//
// SECURITY: the content goes out only after a 354 to DATA (or, for BDAT,
// after the replies to RCPT) with at least one recipient accepted; a 354
// with no one accepted gets a lone "." (RFC 2920 3.1). A recipient whose
// address cannot be put in a command (control bytes, non-ASCII without
// SMTPUTF8) is bounced here and never reaches the wire.
#include <algorithm>

#include "base/strings.h"
#include "mail/address.h"
#include "smtp/client/content.h"
#include "smtp/client/session_steps.h"
#include "smtp/proto/client_command.h"
#include "smtp/proto/transaction.h"

namespace tern::smtp::client {

namespace {

// Marks a reply evaluate_transaction() hands out for commands the server
// never answered (lost, timed out, malformed): the Conversation's failure
// words them. No real reply has code 0 (the parser wants 2-5).
constexpr int kNoReply = 0;

// "SUCCESS,FAILURE" (split_list splits at commas) -> notify:: bits.
unsigned notify_bits(std::string_view notify) {
  unsigned bits = 0;
  for (const auto& v : str::split_list(str::lower(notify))) {
    if (v == "never") bits |= notify::never;
    if (v == "success") bits |= notify::success;
    if (v == "failure") bits |= notify::failure;
    if (v == "delay") bits |= notify::delay;
  }
  return bits;
}

RcptParams rcpt_params(const Envelope::Recipient& r) {
  RcptParams p;
  p.notify = notify_bits(r.notify);
  if (auto semi = r.orcpt.find(';'); semi != std::string::npos) {
    p.orcpt_type = r.orcpt.substr(0, semi);
    p.orcpt = r.orcpt.substr(semi + 1);
  }
  return p;
}

Result<mail::Address> parse_address(const std::string& text, bool null_ok) {
  mail::PathOptions opt;
  opt.allow_null = null_ok;
  opt.allow_utf8 = true;  // format_* refuse it when the server lacks SMTPUTF8
  opt.require_brackets = false;
  opt.allow_no_domain = true;
  if (text.empty() && null_ok) return mail::Address{};
  return mail::parse_path(text, opt);
}

// The wire lines of the transaction: MAIL, and RCPT for each recipient
// that can be formatted (the others are bounced now).
struct Commands {
  std::string mail;
  std::vector<std::string> rcpts;
  std::vector<size_t> index;  // rcpts[k] is recipient index[k] of the envelope
};

bool build_commands(Steps& s, Commands& cmds) {
  const Envelope& env = s.env;
  MailParams mp;
  mp.size_bytes = wire_size(s.content);
  mp.body = env.eightbit ? BodyType::eightbitmime : BodyType::unspecified;
  if (!s.caps.eightbitmime) mp.body = BodyType::unspecified;  // 8-bit goes as it is (behaviour.md)
  mp.smtputf8 = env.smtputf8;
  std::string ret = str::lower(env.ret);
  mp.ret = ret == "full" ? DsnRet::full : ret == "hdrs" ? DsnRet::hdrs : DsnRet::unspecified;
  mp.envid = env.envid;
  auto sender = parse_address(env.sender, true);
  if (!sender) {
    s.decide_all(Outcome::bounced, "5.1.7", "bad sender address syntax: " + sender.error().detail);
    return false;
  }
  auto mail = format_mail_from(*sender, mp, s.caps);
  if (!mail) {
    std::string dsn = mail.error().dsn.empty() ? "5.1.7" : mail.error().dsn;
    s.decide_all(Outcome::bounced, dsn, mail.error().detail);
    return false;
  }
  cmds.mail = std::move(*mail);
  for (size_t i = 0; i < env.recipients.size(); ++i) {
    const auto& r = env.recipients[i];
    auto addr = parse_address(r.address, false);
    if (!addr) {
      s.decide(i, Outcome::bounced, "5.1.3", "bad recipient address syntax: " + addr.error().detail);
      continue;
    }
    auto line = format_rcpt_to(*addr, rcpt_params(r), s.caps, env.smtputf8);
    if (!line) {
      s.decide(i, Outcome::bounced, line.error().dsn.empty() ? "5.1.3" : line.error().dsn, line.error().detail);
      continue;
    }
    cmds.rcpts.push_back(std::move(*line));
    cmds.index.push_back(i);
  }
  return !cmds.rcpts.empty();
}

// Reads the replies to MAIL and the RCPTs (and DATA when pipelined) in
// order, stopping at a failure or a 421. Without pipelining, sends each
// command first, and stops after a refused MAIL.
asio::awaitable<std::vector<Reply>> mail_and_rcpts(Steps& s, const Commands& cmds, bool pipelined, bool data_too) {
  auto& c = s.conv;
  const Settings& st = s.settings;
  std::vector<Reply> replies;
  if (pipelined) {
    std::string group = cmds.mail;
    for (const auto& r : cmds.rcpts) group += r;
    if (data_too) group += "DATA\r\n";
    if (!co_await c.send(group, st.mail_timeout, "sending MAIL FROM")) co_return replies;
  } else if (!co_await c.send(cmds.mail, st.mail_timeout, "sending MAIL FROM")) {
    co_return replies;
  }
  auto mail = co_await c.read_reply(st.mail_timeout, "sending MAIL FROM");
  if (!mail) co_return replies;
  s.mail_answered = true;
  replies.push_back(*mail);
  if (mail->closes() || (!pipelined && mail->code >= 300)) co_return replies;
  for (const auto& r : cmds.rcpts) {
    if (!pipelined && !co_await c.send(r, st.rcpt_timeout, "sending RCPT TO")) co_return replies;
    auto reply = co_await c.read_reply(st.rcpt_timeout, "sending RCPT TO");
    if (!reply) co_return replies;
    replies.push_back(*reply);
    if (reply->closes()) co_return replies;
  }
  if (data_too) {
    auto data = co_await c.read_reply(st.data_init_timeout, "sending DATA command");
    if (data) replies.push_back(*data);
  }
  co_return replies;
}

// Sends the content in BDAT chunks; returns the reply to the last one sent
// (nullopt: the conversation failed).
asio::awaitable<std::optional<Reply>> send_bdat(Steps& s) {
  auto& c = s.conv;
  const Settings& st = s.settings;
  std::string wire = wire_form(s.content, false);
  size_t chunk = std::max<size_t>(st.bdat_chunk_bytes, 1);
  size_t pos = 0;
  for (;;) {
    size_t n = std::min(chunk, wire.size() - pos);
    bool last = pos + n >= wire.size();
    std::string head = "BDAT " + std::to_string(n) + (last ? " LAST\r\n" : "\r\n");
    head.append(wire, pos, n);
    if (!co_await c.send(head, st.data_xfer_timeout, "sending message body"))
      co_return std::nullopt;
    pos += n;
    auto r = co_await c.read_reply(last ? st.data_done_timeout : st.data_xfer_timeout,
                                   last ? "sending end of data -- message may be sent more than once"
                                        : "sending message body");
    if (r && last) s.data_done = true;
    if (!r || last || r->code >= 300) co_return r;  // a refused chunk: RSET before reuse (RFC 3030 4.2)
  }
}

}  // namespace

asio::awaitable<void> run_transaction(Steps& s) {
  auto& c = s.conv;
  const Settings& st = s.settings;
  Commands cmds;
  if (!build_commands(s, cmds)) co_return;
  bool pipelined = st.pipelining && s.caps.pipelining;
  bool bdat = st.chunking && s.caps.chunking;
  bool data_pipelined = pipelined && !bdat;
  auto replies = co_await mail_and_rcpts(s, cmds, pipelined, data_pipelined);

  bool data_sent = data_pipelined;
  size_t n = cmds.rcpts.size();
  bool all_answered = !c.failed() && replies.size() == n + 1 && replies[0].code < 300;
  bool any_accepted = false;
  for (size_t k = 0; k < n && k + 1 < replies.size(); ++k) any_accepted |= replies[k + 1].code < 300;
  if (!data_pipelined && !bdat && all_answered && any_accepted && replies.back().code != 421) {
    // DATA on its own: after the RCPT replies.
    if (co_await c.send("DATA\r\n", st.data_init_timeout, "sending DATA command")) {
      auto data = co_await c.read_reply(st.data_init_timeout, "sending DATA command");
      if (data) replies.push_back(*data);
    }
    data_sent = true;
  }
  Reply lost(kNoReply, "", "");
  TransactionVerdict v = evaluate_transaction(n, data_sent, replies, lost);
  // A 354 the verdict does not send content after (MAIL refused, or no one
  // accepted): end the DATA phase with a lone "." so the server is back in step.
  bool got_354 = data_sent && replies.size() == n + 2 && replies.back().code == 354;
  if (v.next == NextStep::hang_up) s.hung_up = true;
  if (got_354 && v.next != NextStep::send_content) {
    if (co_await c.send(".\r\n", st.data_xfer_timeout, "sending end of data"))
      s.data_done = (co_await c.read_reply(st.data_done_timeout, "sending end of data")).has_value();
  } else if (v.next == NextStep::send_content) {
    std::optional<Reply> done;
    if (bdat) {
      done = co_await send_bdat(s);
    } else if (co_await c.send(wire_form(s.content, true), st.data_xfer_timeout, "sending message body")) {
      done = co_await c.read_reply(st.data_done_timeout, "sending end of data -- message may be sent more than once");
    }
    if (done) {
      if (!bdat) s.data_done = true;  // send_bdat() knows whether its last chunk was answered
      apply_content_reply(v, *done);
      if (done->closes()) s.hung_up = true;
    }
  }

  // Word the results: a reply decides with the server's words; kNoReply
  // (and anything still pending after a failure) with the conversation's.
  for (size_t k = 0; k < n; ++k) {
    size_t i = cmds.index[k];
    const auto& r = v.recipients[k];
    s.out.recipients[i].rcpt_accepted = replies.size() > k + 1 && replies[0].code < 300 && replies[k + 1].code < 300;
    if (r.outcome == Outcome::pending || r.reply.code == kNoReply) {
      if (c.failed()) s.decide(i, Outcome::deferred, c.failure().dsn, c.failure().diagnostic);
      continue;  // else decided at the end of run_session
    }
    std::string words = r.outcome == Outcome::sent ? reply_summary(r.reply) : c.said(r.reply, stage_text(r.stage));
    s.decide(i, r.outcome, dsn_for(r.reply, r.outcome), words);
    if (r.outcome == Outcome::sent && (rcpt_params(s.env.recipients[i]).notify & notify::success) && !s.caps.dsn)
      s.out.recipients[i].relayed = true;
  }
  // MAIL refused with 4xx (or 421): this host's fault, the next may take it.
  if (!replies.empty() && replies[0].code >= 400 && replies[0].code < 500) s.out.try_next_host = true;
}

}  // namespace tern::smtp::client
