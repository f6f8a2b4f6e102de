// Envelope: what the queue knows about one message besides its content,
// as read back from a queue file.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tern::queue {

// RFC 3461 NOTIFY= as bits (the same values as smtp::notify); 0 = not
// given, which means FAILURE,DELAY.
namespace dsn_notify {
constexpr unsigned never = 1, success = 2, failure = 4, delay = 8;
}

enum class DsnRet : char { unspecified, full, hdrs };  // RET= of MAIL

// Who a message is from, for the bounce rules (scheduler/bouncer.h): a
// bounce tern made is sent from <> and, when it fails, goes to postmaster
// as a double bounce, which is never bounced again.
enum class Origin : char { normal, bounce, double_bounce };

struct Recipient {
  std::string address;       // as accepted at RCPT (after myorigin qualification)
  bool done = false;         // 'D' record
  uint64_t type_offset = 0;  // where the 'R'/'D' byte sits in the file
  unsigned notify = 0;       // bits of dsn_notify; 0 = not given
  std::string orcpt;         // ORCPT "type;address" (decoded); empty = not given

  // Whether a DSN of this kind (a dsn_notify bit) is asked for.
  bool wants(unsigned kind) const {
    if (notify & dsn_notify::never) return false;
    if (notify == 0) return kind == dsn_notify::failure || kind == dsn_notify::delay;
    return (notify & kind) != 0;
  }
};

// What a delivery pass did to a message: recipients crossed off (by the
// offset of their record) and targets delivered for recipients that stay
// pending. The delivery at acceptance hands this back to the Committer,
// which applies it to the draft it owns.
struct CrossOffs {
  std::vector<uint64_t> recipients;
  std::vector<std::pair<uint64_t, std::string>> targets;  // recipient offset, target key
  bool all_done = false;                                  // no recipient left pending
};

struct Envelope {
  std::string id;
  std::time_t arrival = 0;
  int arrival_us = 0;  // the microseconds of the arrival ("T" record "secs.uuuuuu")
  void set_arrival_now();
  // Seconds since arrival, with its fraction.
  double age() const;
  // The log's delay= as Postfix writes it: "0.35", "12.40", "3821".
  std::string delay_text() const;
  std::string client = "local";
  std::string helo;
  std::string protocol = "local";
  bool smtputf8 = false;
  bool eightbit = false;
  std::string sender;  // "" for the null sender
  std::string envid;   // RFC 3461 ENVID (decoded); empty = not given
  DsnRet ret = DsnRet::unspecified;
  Origin origin = Origin::normal;
  bool delay_warned = false;  // a 'W' record: the delay warning was sent
  std::vector<Recipient> recipients;
  uint64_t content_offset = 0;  // file offset of the content bytes
  uint64_t content_size = 0;
  // 'X' records: targets delivered while recipients stayed pending, as
  // (offset of the record of the recipient delivered for, target key). A
  // target is delivered once per message (scheduler/recipient.h), so a
  // record counts for every recipient leading to that target.
  std::vector<std::pair<uint64_t, std::string>> done_targets;

  // Recorded for this recipient (records written before targets were
  // shared hold the exact target of one recipient).
  bool target_done(const Recipient& r, std::string_view key) const {
    for (auto& [off, k] : done_targets)
      if (off == r.type_offset && k == key) return true;
    return false;
  }
  // Recorded for any recipient of the message.
  bool target_done_for_any(std::string_view key) const {
    for (auto& [off, k] : done_targets)
      if (k == key) return true;
    return false;
  }

  size_t pending() const {
    size_t n = 0;
    for (auto& r : recipients) n += r.done ? 0 : 1;
    return n;
  }
};

}  // namespace tern::queue
