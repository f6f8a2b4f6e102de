// The CONDSTORE/QRESYNC record of one Maildir folder (RFC 7162), in tern's
// own file "tern-modseq" beside dovecot-uidlist: the mod-sequence of each
// message's last change, and of recent expunges. Maildir keeps flags in
// file names and Dovecot keeps modseqs in its own binary index, which tern
// does not write, so the file is tern's; other programs ignore it.
//
// Format (one line each, appended; the last line for a UID wins):
//   tern-modseq 1 V<uidvalidity> E<floor>     header
//   +<uid> <modseq> <sig> <added>             the message, flags as <sig>,
//                                             first recorded at <added>
//   -<uid> <modseq>                           the message was expunged
// <sig> is the Maildir info letters (flags, then keyword letters), "-" for
// none: a message whose file now shows other letters than its last record
// changed without a record (another program, or a session that was not
// tracking modseqs) and gets a new mod-sequence when next looked at.
// <floor>: expunges at or below it were dropped when the file was
// compacted; a client asking what vanished since an older modseq is told
// every UID that is not there (RFC 7162 3.2.5.1 lets a server say more).
//
// This file is the pure part: bytes in, the table out; the file, its lock
// and its rewrite are in modseq_file.h.
//
// SECURITY: the file sits in a folder other programs write. Lines are
// bounded (kMaxModseqLine) and parsed strictly; any defect refuses the whole
// file, which the caller then starts afresh (every message gets a new,
// higher mod-sequence: clients re-read flags, nothing is hidden).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"

namespace tern::store {

constexpr size_t kMaxModseqLine = 128;

struct ModseqEntry {
  uint64_t modseq = 0;
  uint64_t added = 0;  // the mod-sequence it was first recorded with (QRESYNC: did a client know it?)
  std::string sig;     // info letters as in the file name ("" for none)
};

struct ModseqTable {
  uint32_t uidvalidity = 0;
  uint64_t floor = 0;    // expunges at or below it are not listed
  uint64_t highest = 0;  // the highest mod-sequence in the file (or floor)
  std::unordered_map<uint32_t, ModseqEntry> live;
  std::map<uint32_t, uint64_t> expunged;  // UID -> mod-sequence of its expunge
  size_t lines = 0;                       // records read (to decide compaction)
};

// Applies the complete lines of bytes (a header first when table.lines is 0
// and no header was read: header_read false) and returns how many bytes it
// used; an unterminated last line is left for later (a writer mid-append).
// A permanent error with the line's number on any defect.
struct ModseqParse {
  size_t used = 0;
  bool header_read = false;
};
Result<ModseqParse> apply_modseq_lines(ModseqTable& table, std::string_view bytes, bool header_read);

std::string format_modseq_header(uint32_t uidvalidity, uint64_t floor);
std::string format_modseq_live(uint32_t uid, uint64_t modseq, std::string_view sig, uint64_t added);
std::string format_modseq_expunged(uint32_t uid, uint64_t modseq);
// The whole table as a compact file: the live records, and the last
// keep_expunged expunges by mod-sequence (the others raise the floor).
std::string format_modseq_table(ModseqTable& table, size_t keep_expunged);

}  // namespace tern::store
