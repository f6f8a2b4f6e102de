// The queue file format: typed, length-prefixed records with an explicit end
// marker, never text lines (RELIABILITY.md #3: a newline in attacker data
// must not be able to start a new field). Layout:
//
//   "TERNQ1\n" magic
//   record*   = type (1 byte) | length (4 bytes, little endian) | payload
//   'E' record (length 0)
//   'X' / 'W' record*  appended after the end marker, in a queue file only
//
// DSN parameters (RFC 3461) are optional records, so a file written before
// them reads as "none given": 'V' (ENVID, decoded) once per message, RET
// and the message's origin (a bounce tern made) as words of 'F', and an
// 'N' record right after the recipient record it belongs to (NOTIFY bits
// and ORCPT). 'W' after the end marker says a delay warning was sent.
//
// A recipient record's type byte flips from 'R' (pending) to 'D' (done) in
// place when it is delivered, like Postfix's cross-off. A recipient that
// expands to several targets (an alias "a: bob, |cmd") may be partly
// delivered: each target delivered while others remain is recorded by an
// 'X' record appended to the file (one write, then fdatasync), so a retry
// delivers only the rest. The record names the recipient it was delivered
// for, which must be a recipient record of the file, but it counts for the
// whole message: another recipient leading to the same final target
// (delivery::final_target_key) is not delivered to it again. Nothing else
// in a committed file ever changes.
// A file without 'E', with an unknown type, with anything but complete 'X'
// records after 'E', or with a length that runs past the end is corrupt and
// is quarantined.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::queue {

inline constexpr std::string_view kMagic = "TERNQ1\n";
inline constexpr size_t kRecordHeader = 5;

enum RecordType : char {
  kArrival = 'T',    // decimal seconds since the epoch
  kClient = 'C',     // "name[address]" of the SMTP client, or "local"
  kHelo = 'H',       // HELO/EHLO argument
  kProtocol = 'P',   // "ESMTP", "SMTP", "local"
  kFlags = 'F',      // space-separated words: smtputf8, 8bitmime, ret=full, ret=hdrs, bounce, 2bounce
  kEnvid = 'V',      // RFC 3461 ENVID, xtext-decoded (optional)
  kSender = 'S',     // envelope sender, "" for <>
  kRecipient = 'R',  // pending recipient
  kDone = 'D',       // recipient delivered or bounced (flipped from 'R')
  kRecipientDsn = 'N',  // after its 'R'/'D': one hex digit of NOTIFY bits, then the ORCPT "type;address" (optional)
  kContent = 'M',    // the message, LF line endings; payload is the content
  kEnd = 'E',
  kTargetDone = 'X',  // "<offset of the R/D record> <target key>": one target delivered
  kWarned = 'W',      // after the end marker, empty: the delay warning DSN was sent
};

// Walks the records of a file or datagram, checking every length against
// the input: next() yields each record until the end marker, which must be
// the last byte; anything else is an error with a reason. An appendable
// cursor (queue files) also yields the records after the end marker, with
// after_end set, and says `end` only where the input ends.
class RecordCursor {
 public:
  enum class Step { record, end, error };
  explicit RecordCursor(std::string_view bytes, bool appendable = false);
  Step next();
  char type = 0;
  std::string_view payload;
  size_t offset = 0;  // of the record's type byte
  bool after_end = false;
  const char* error = nullptr;

 private:
  std::string_view b_;
  size_t pos_;
  bool appendable_;
};

// The payload of an 'X' record, and its parse (false if malformed).
std::string target_done_payload(uint64_t recipient_offset, std::string_view target_key);
bool parse_target_done(std::string_view payload, uint64_t& recipient_offset, std::string_view& target_key);

// Appends one record to out.
void append_record(std::string& out, char type, std::string_view payload);

// The payload of an 'N' record ("6rfc822;bob@example.org"), and its parse
// (false if malformed: the first byte is not a hex digit).
std::string recipient_dsn_payload(unsigned notify, std::string_view orcpt);
bool parse_recipient_dsn(std::string_view payload, unsigned& notify, std::string_view& orcpt);
// Encodes a record header (for streaming the content record).
std::string record_header(char type, uint32_t length);

}  // namespace tern::queue
