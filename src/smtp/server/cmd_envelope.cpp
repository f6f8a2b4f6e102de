// Envelope commands: MAIL FROM and RCPT TO, with the policy checks of each
// stage (access tables, relay control) and the recipient check that
// rejects unknown local users at RCPT, never accepting and bouncing later.
#include <sys/statvfs.h>

#include <fmt/format.h>

#include "base/log.h"
#include "base/strings.h"
#include "smtp/server/session.h"

namespace tern::smtp {

namespace {

// Free bytes in the queue file system, or UINT64_MAX if unknown.
uint64_t free_bytes(const std::string& dir) {
  struct statvfs st;
  if (::statvfs(dir.c_str(), &st) != 0) return UINT64_MAX;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace

asio::awaitable<void> Session::cmd_mail(const Command& c) {
  if (lim_.helo_required && helo_.empty()) {
    // smtpd_helo_required, with Postfix's words.
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
  // Postfix's rule: refuse when free space is under 1.5 x the size limit.
  uint64_t need = lim_.message_bytes + lim_.message_bytes / 2;
  if (free_bytes(host_.spool().dir()) < need) {
    log::warn("NOQUEUE: reject: MAIL from {}: 452 4.3.1 Insufficient system storage", client_name_);
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
  auto v = services_->policy->on_rcpt(client_, rcpt, cls);
  if (v.rejects()) {
    log::info("NOQUEUE: reject: RCPT from {}: {} {} {}; from=<{}> to=<{}>", client_name_, v.code, v.enhanced, v.text,
              str::printable(tx_.sender), str::printable(rcpt));
    reply(v.code, v.enhanced, v.text);
    co_return;
  }
  auto st = rw.validate(rcpt);
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
  reply(250, "2.1.5", "Ok");
}

}  // namespace tern::smtp
