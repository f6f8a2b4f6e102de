// The bounce step of a delivery pass (issue 9 item 5): what a pass (a queue
// run or the delivery at acceptance) learnt about a message's recipients
// becomes at most ONE delivery status notification per message per pass
// (mail/dsn.h), never one per recipient, submitted as a new message from
// the null sender through Draft + Committer.
//
// Who gets it (Postfix's rules, RFC 3461):
//  - the envelope sender, with the failures of recipients whose NOTIFY
//    includes FAILURE (or was not given), the successes of those with
//    NOTIFY=SUCCESS ("delivered", or "relayed" from a remote agent), and,
//    for a delay warning, the deferred ones whose NOTIFY includes DELAY (or
//    was not given); NOTIFY=NEVER: nothing;
//  - the null sender: nobody, it is logged ("sender is null"); except for
//    a bounce tern made itself (Origin::bounce), whose failure goes to
//    2bounce_notice_recipient (postmaster) as a double bounce
//    (Origin::double_bounce); a double bounce that fails is logged and
//    dropped ("undeliverable postmaster notification discarded").
//
// Durability: notify() returns only once the notification is committed
// (fsynced in active/), so the caller crosses the failed recipients off
// after it; a crash in between sends the notification again (a duplicate),
// never none. If the commit fails, the caller keeps those recipients
// pending and the next pass tries again.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "queue/envelope.h"
#include "queue/writer.h"
#include "scheduler/recipient.h"

namespace tern::scheduler {

// One line of a notification: a recipient and what happened to one of its
// targets (or to itself, for an expiry or a delay).
struct NoticeLine {
  const queue::Recipient* recipient;
  enum class Action { failed, delayed, delivered, relayed };
  Action action = Action::failed;
  std::string final_recipient;  // the address tried
  std::string status;           // RFC 3463
  std::string diagnostic;
  std::string remote_mta;
};

// What one pass asks for, as lines, filtered by each recipient's NOTIFY.
// pass: the recipients of the pass and their outcomes; expired: every
// recipient still pending fails with 4.4.7 (the message is older than its
// queue lifetime); warn_delay: every recipient still pending is reported
// "delayed" (delay_warning_time has passed and no warning was sent yet).
std::vector<NoticeLine> notice_lines(const std::vector<PassRecipient>& pass, bool expired, bool warn_delay);

struct NoticeSettings {
  std::string myhostname;
  size_t bounce_size_limit = 50000;
  std::string double_bounce_recipient = "postmaster";  // 2bounce_notice_recipient, qualified
  std::time_t now = 0;
  std::time_t retry_until = 0;  // for delayed lines: arrival + queue lifetime
};

struct Notice {
  queue::Envelope envelope;  // from <>, to the sender or postmaster
  std::string content;       // LF line ends
  std::string log_kind;      // "sender non-delivery notification", ...
};

// The pure decision and composition: nullopt when nothing is sent, with
// the reason for the log in `dropped` (empty when there was nothing to say).
std::optional<Notice> compose_notice(const NoticeSettings& s, const queue::Envelope& env, std::string_view content,
                                     const std::vector<NoticeLine>& lines, std::string& dropped);

// The settings from main.cf (myhostname, bounce_size_limit,
// 2bounce_notice_recipient qualified with myorigin).
NoticeSettings notice_settings(const config::Config& cfg, std::time_t now);

// Composes and commits the notification for `lines` of message env (a
// no-op when there is none), logging "ID: sender non-delivery
// notification: NEWID". Error: the notification is not durable.
Status send_notice(queue::Committer& committer, const queue::Spool& spool, const NoticeSettings& s,
                   const queue::Envelope& env, std::string_view content, const std::vector<NoticeLine>& lines);

}  // namespace tern::scheduler
