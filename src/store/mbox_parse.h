// Reading an mbox folder (the format Dovecot, mutt and Python's mailbox
// share): messages split at "From " lines that start the file, follow a
// blank line (the blank separator line belongs to no message) or carry a
// From_ line's date (as Dovecot and mutt check), mboxrd
// quoting undone (a line matching ^>+From loses one '>'), and the headers
// Dovecot keeps its state in hidden from the message as shown:
//   X-IMAPbase: <uidvalidity> <uidnext> [keyword...]  (first message only)
//   X-UID: <uid>
//   Status: R (\Seen) O (not \Recent)
//   X-Status: A (\Answered) D (\Deleted) F (\Flagged) T (\Draft)
//   X-Keywords: <keyword>...
// (X-IMAP, UW-IMAP's older form, and Content-Length, which other writers
// add and a rewrite could make wrong, are hidden too and dropped when the
// message is rewritten, as Dovecot's mbox_hide_headers does.) Writing them back is
// mbox_meta_headers; the file handling is in mbox_mailbox.h.
//
// Kept apart from I/O so it can be tested and fuzzed alone: the file is
// read through a callback, in chunks.
//
// SECURITY: the file is written by other programs. The parse is one pass,
// linear in the file; a line longer than kMboxMaxLine is read through and
// judged by its first kMboxMaxLine bytes (no allocation grows with a line);
// state headers longer than kMboxMaxMetaLine are hidden but not believed;
// UIDs must ascend and stay below 2^31, else the message counts as fresh
// (renumbered at the next write, as Dovecot does); keywords must be
// keyword_ok and at most kMaxKeywords per folder.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/mailbox.h"

namespace tern::store {

constexpr size_t kMboxMaxLine = 64 * 1024;
constexpr size_t kMboxMaxMetaLine = 4096;
constexpr uint32_t kMboxMaxUid = 0x7fffffff;

struct MboxBase {
  uint32_t uidvalidity = 0;
  uint32_t uidnext = 1;  // as written: may lag the highest X-UID (appends do not update it)
  std::vector<std::string> keywords;  // the folder's, in order
};

struct MboxEntry {
  uint64_t from_off = 0;    // the From_ line
  uint64_t header_off = 0;  // after it
  uint64_t body_off = 0;    // the blank line that ends the header (end_off if none)
  uint64_t end_off = 0;     // the message's last byte + 1 (before the separator)
  uint64_t next_off = 0;    // the next From_ line or the end of the file
  uint32_t uid = 0;         // 0: none yet (a fresh delivery) or not believable
  MessageFlags flags = 0;
  bool seen_status = false;  // had an "O" in Status (not new)
  std::vector<std::string> keywords;
  uint64_t size = 0;       // as shown: hidden headers out, quoting undone
  uint64_t crlf_size = 0;  // the same with CRLF line ends
  int64_t internal_date_s = 0;  // from the From_ line; 0: not readable
};

struct MboxIndex {
  bool has_base = false;  // the first message had a believable X-IMAPbase
  MboxBase base;
  std::vector<MboxEntry> entries;
  uint64_t size = 0;  // bytes parsed
};

// Reads up to n bytes at off into buf: the count (0 at the end), or -1.
using MboxRead = std::function<ssize_t(uint64_t off, char* buf, size_t n)>;

// Parses the first size bytes. Content never makes it fail, except a file
// that does not start with a From_ line (not an mbox: a temporary error, so
// nothing is changed); otherwise only a failed read does.
Result<MboxIndex> parse_mbox(uint64_t size, const MboxRead& read);

// Passes the header lines of [from, to) to sink without the state
// headers (and their continuation lines), in pieces; a final line without
// '\n' gets one.
Status mbox_filter_header(uint64_t from, uint64_t to, const MboxRead& read,
                          const std::function<Status(std::string_view)>& sink);

// The message as shown, from the raw bytes [header_off, end_off).
std::string mbox_present(std::string_view raw);

// True if the header line (from its start) is one of the state headers.
bool mbox_state_header(std::string_view line);

// The state headers for one message as Dovecot writes them, each ending in
// "\n"; base non-null for the first message of the file.
std::string mbox_meta_headers(const MboxEntry& e, const MboxBase* base);

// The date of a From_ line ("From sender Www Mmm dd hh:mm:ss yyyy"), local
// time as mbox_from_line writes it; 0 when it has none.
int64_t mbox_from_date(std::string_view line);

}  // namespace tern::store
