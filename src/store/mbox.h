// mbox delivery in the format other mbox readers expect (mutt, Python's
// mailbox, Dovecot): a "From sender asctime-date" line, the message with
// LF endings and mboxrd ">From " quoting, and a blank line after it.
// Locking: a dot-lock (FILE.lock, created O_EXCL, stale after 5 minutes)
// and an fcntl write lock, both as other readers take them. A failed append
// is rolled back by truncating to the size before it; an append whose
// process died (kill -9, power loss) is truncated away by the next delivery
// to that mailbox, from the sizes recorded in the dot-lock (mbox_lock.h,
// RELIABILITY.md #39).
//
// SECURITY: refuses a mailbox that is a symlink, has more than one hard link,
// or is not a regular file (RELIABILITY.md #52). Runs as the mailbox owner.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <ctime>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::store {

struct MboxOptions {
  int lock_timeout_s = 30;  // waiting for a lock longer than this defers
  bool create = true;       // create the file (mode 0600) if missing
  // mailbox_size_limit: the file may not grow beyond this many bytes (0: no
  // limit); over it the delivery fails permanently with 5.2.2.
  uint64_t size_limit = 0;
  // A user's mailbox must belong to that user (RELIABILITY.md #52): set to
  // the recipient's uid for mailbox deliveries. File deliveries from aliases
  // leave it unset, as Postfix's local(8) checks only the link count there.
  std::optional<uid_t> owner;
};

Status mbox_deliver(const std::string& path, std::string_view sender, std::time_t arrival,
                    std::string_view prefix, std::string_view message, const MboxOptions& opt = {});

// "From sender Mon Nov 23 09:40:01 2026\n" in local time (ctime format, as
// Postfix writes it); an empty sender becomes MAILER-DAEMON. White space and
// control characters in the sender become '_' so the line stays one line.
std::string mbox_from_line(std::string_view sender, std::time_t t);

// mboxrd quoting of a text given in pieces (an APPEND's literal as it
// arrives): each feed() adds to out what can be decided so far; finish()
// adds the rest, a final newline if the text lacks one, and the blank line
// that ends an entry. Holds at most four bytes between feeds.
class MboxQuoter {
 public:
  void feed(std::string_view in, std::string& out);
  void finish(std::string& out);

 private:
  std::string held_;      // the line so far, a beginning of "From " after its '>'s
  bool mid_line_ = false;  // the line is decided: passed on to its newline
  bool any_ = false;
  char last_ = '\n';
};

// The bytes one delivery appends: the From_ line, prefix + message with
// mboxrd quoting (a line matching ^>*From gets one more '>'), a final
// newline if the message lacks one, and the blank separator line.
std::string mbox_entry(std::string_view sender, std::time_t t, std::string_view prefix, std::string_view message);

}  // namespace tern::store
