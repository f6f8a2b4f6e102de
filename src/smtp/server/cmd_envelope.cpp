// Envelope commands: MAIL FROM and RCPT TO, with the policy checks of each
// stage (access tables; at MAIL, 530 5.7.0 where the listener requires
// AUTH; at RCPT, the restriction lists of the session's listener, see
// policy/policy.h) and the recipient check that rejects unknown local
// users at RCPT, never accepting and bouncing later.
#include <algorithm>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "smtp/server/session.h"

namespace tern::smtp {

namespace {

// Why the queue file system cannot take a message now, or "" if it can.
// Postfix's rule for bytes: free space at least queue_minfree and at least
// 1.5 x message_size_limit. Inodes (which Postfix does not check): one for
// the queue file, one for its spill in tmp/, one per recipient that may be
// delivered into a Maildir on the same file system at acceptance.
// Unknown free space (statvfs failed) is not a reason to refuse.
std::string queue_short_of(const std::string& dir, uint64_t message_limit, uint64_t minfree, size_t rcpt_limit) {
  auto free = fs::free_space(dir);
  if (!free) return "";
  // Room for one and a half messages of the largest size (none to reserve
  // without a limit, as Postfix does), at least queue_minfree.
  uint64_t reserve = message_limit > UINT64_MAX / 2 ? 0 : message_limit + message_limit / 2;
  uint64_t need_bytes = std::max<uint64_t>(minfree, reserve);
  if (free->bytes < need_bytes) return fmt::format("{} bytes free, {} needed", free->bytes, need_bytes);
  uint64_t need_inodes = rcpt_limit + 2;
  if (free->inodes_counted && free->inodes < need_inodes)
    return fmt::format("{} inodes free, {} needed", free->inodes, need_inodes);
  return "";
}

}  // namespace

asio::awaitable<void> Session::cmd_mail(const Command& c) {
  if (helo_missing()) {
    // smtpd_helo_required (or EHLO again after STARTTLS), with Postfix's words.
    reply(503, "5.5.1", "Error: send HELO/EHLO first");
    co_return;
  }
  if (tx_.active) {
    reply(503, "5.5.1", "Error: nested MAIL command");
    co_return;
  }
  if (c.size > lim_.message_bytes) {
    reply(552, "5.3.4", "Message size exceeds fixed limit");
    co_return;
  }
  if (!esmtp_ && !c.params.empty()) {
    reply(555, "5.5.4", "Unsupported option: ESMTP parameters need EHLO");
    co_return;
  }
  if (std::string why = queue_short_of(host_.spool().dir(), lim_.message_bytes,
                                       lim_.queue_minfree, lim_.recipients);
      !why.empty()) {
    log::warn("NOQUEUE: reject: MAIL from {}: 452 4.3.1 Insufficient system storage ({})", client_name_, why);
    reply(452, "4.3.1", "Insufficient system storage");
    co_return;
  }
  std::string sender = c.address.str();
  auto v = services_->policy->on_mail(client_, sender);
  if (v.rejects()) {
    log::info("NOQUEUE: reject: MAIL from {}: {} {} {}", client_name_, v.code, v.enhanced, v.text);
    reply(v.code, v.enhanced, v.text);
    co_return;
  }
  tx_ = Transaction{};
  tx_.active = true;
  tx_.sender = sender;
  tx_.smtputf8 = c.smtputf8;
  tx_.eightbit = c.body == "8BITMIME";
  tx_.declared_size = c.size;
  tx_.ret = c.ret;
  tx_.envid = c.envid;
  // RFC 4954 section 5: AUTH= is trusted only from an authenticated
  // client; from anyone else it is kept as AUTH=<>.
  if (client_.authenticated && !c.auth.empty()) tx_.auth_param = c.auth;
  tx_.discard = v.action == policy::Verdict::Action::discard;
  reply(250, "2.1.0", "Ok");
}

asio::awaitable<void> Session::cmd_rcpt(const Command& c) {
  if (!tx_.active) {
    reply(503, "5.5.1", "Error: need MAIL command");
    co_return;
  }
  if (tx_.draft) {
    reply(503, "5.5.1", "Error: RCPT after BDAT");
    co_return;
  }
  if (tx_.recipients.size() >= lim_.recipients) {
    reply(452, "4.5.3", "Error: too many recipients");
    co_return;
  }
  if (!tx_.smtputf8 && (mail::has_8bit(c.address.local) || mail::has_8bit(c.address.domain))) {
    reply(553, "5.6.7", "Error: SMTPUTF8 is required for this address");
    co_return;
  }
  auto& rw = *services_->rewriter;
  std::string rcpt = rw.qualify(c.address);
  auto at = rcpt.rfind('@');
  std::string domain = at == std::string::npos ? "" : rcpt.substr(at + 1);
  auto cls = rw.classify(domain);
  auto v = services_->policy->on_rcpt(client_, policy::RcptContext{helo_, tx_.sender, rcpt, cls, &tx_.sender_owners});
  if (v.rejects()) {
    log::info("NOQUEUE: reject: RCPT from {}: {} {} {}; from=<{}> to=<{}>", client_name_, v.code, v.enhanced, v.text,
              str::printable(tx_.sender), str::printable(rcpt));
    reply(v.code, v.enhanced, v.text);
    co_return;
  }
  // The address the queue will hold (recipient canonical maps, applied by
  // queue::Draft) is the one that must exist, as Postfix's smtpd accepts a
  // recipient its canonical maps rewrite to a valid address.
  Status st = ok_status();
  std::string target = rcpt;
  if (auto& canon = services_->canonical; canon && canon->active(rewrite::Canonical::envelope_recipient)) {
    auto r = canon->rewrite(rcpt, rewrite::Canonical::envelope_recipient);
    if (r)
      target = std::move(*r);
    else
      st = r.error();
  }
  if (st) st = rw.validate(target);
  if (!st) {
    if (st.error().is_temporary()) {
      log::warn("NOQUEUE: RCPT from {}: <{}>: {}", client_name_, str::printable(rcpt), st.error().detail);
      reply(451, "4.3.0", "<" + str::printable(rcpt) + ">: Temporary lookup failure");
    } else {
      log::info("NOQUEUE: reject: RCPT from {}: 550 5.1.1 {}; from=<{}> to=<{}>", client_name_,
                str::printable(st.error().detail), str::printable(tx_.sender), str::printable(rcpt));
      reply(550, st.error().dsn.empty() ? "5.1.1" : st.error().dsn, str::printable(st.error().detail));
    }
    co_return;
  }
  if (v.action == policy::Verdict::Action::discard) tx_.discard = true;
  tx_.recipients.push_back(rcpt);
  tx_.recipient_dsn.emplace_back(c.notify, c.orcpt);
  reply(250, "2.1.5", "Ok");
}

}  // namespace tern::smtp
