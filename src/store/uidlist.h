// The UID index of a Maildir folder, in Dovecot's own "dovecot-uidlist"
// file (version 3), so Dovecot reading a Maildir tern wrote sees the same
// UIDs and UIDVALIDITY, and tern sees Dovecot's:
//   3 V<uidvalidity> N<nextuid> G<mailbox guid, 32 hex> [other <key><value>]
//   <uid> [<key><value> ...] :<maildir base name>
// one record per line, UIDs strictly ascending. Record extension keys are
// capital letters (Dovecot: P pop3 uidl, O pop3 order, W vsize, G guid);
// tern keeps unknown ones and unknown header fields verbatim so that a
// rewrite by tern loses nothing Dovecot wrote. Version 1 (Courier's
// courierimapuiddb form, "1 <uidvalidity> <nextuid>" then "<uid> <name>")
// is read too and written back as version 3, as Dovecot does.
//
// This file is the pure part: bytes in, a value or an error out; the file,
// its lock and its rewrite are in uidlist_file.h.
//
// SECURITY: the file sits in a directory that other programs write. The
// parser is linear, bounded (kMaxUidlistBytes, names by maildir_name_ok),
// and refuses the whole file on any defect (the caller then rebuilds it with
// a new UIDVALIDITY, as Dovecot does), so a damaged index can never map a
// UID to two messages or a name outside the folder.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tern::store {

// Larger than any real index (about 60 bytes per message: 1M messages).
constexpr size_t kMaxUidlistBytes = size_t{64} << 20;

struct UidlistRecord {
  uint32_t uid = 0;
  std::string extensions;  // "<key><value>" fields joined by ' ', as read ("" if none)
  std::string base;        // the Maildir base name (no ":2,..." info)
};

struct Uidlist {
  uint32_t uidvalidity = 0;
  uint32_t next_uid = 1;
  std::string guid;           // 32 lower-case hex digits ("" until made)
  std::string header_extra;   // other header fields, verbatim
  std::vector<UidlistRecord> records;  // UID order
  // The file's last line had no '\n': a record being appended right now,
  // or one a writer that died left half written. It is not in records; the
  // next writer rewrites the file rather than append after it.
  bool torn_tail = false;
};

// A permanent error (with the line number) for anything but a well-formed
// file; next_uid is raised above the highest UID if the header lags (records
// are appended without rewriting the header, by Dovecot and by tern). An
// unterminated last record line is left out (torn_tail), not an error.
Result<Uidlist> parse_uidlist(std::string_view bytes);
std::string format_uidlist(const Uidlist& list);
// The lines of records, as format_uidlist writes them.
std::string format_uidlist_records(const std::vector<UidlistRecord>& records, size_t from);

}  // namespace tern::store
