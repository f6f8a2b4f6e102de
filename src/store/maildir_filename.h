// Reading Maildir file names: "<base>:2,<flags>", where base may carry
// Dovecot's ",S=<size>" (the file's bytes) and ",W=<vsize>" (the size with
// CRLF line ends) fields. The standard flags are the capital letters of the
// Maildir spec, kept sorted (D F P R S T); lower-case letters are Dovecot's
// keywords, kept verbatim so that changing a standard flag never loses them.
//
// SECURITY: names come from a directory listing other programs (and, via
// IMAP, users) fill. maildir_name_ok refuses any name that could leave the
// directory or confuse a line-based index: empty, over 255 bytes, '/',
// leading '.', control bytes (which includes CR, LF and NUL).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::store {

// The standard Maildir flags as bits (the names say what IMAP calls them).
enum MaildirFlag : uint8_t {
  kFlagDraft = 1 << 0,     // D
  kFlagFlagged = 1 << 1,   // F
  kFlagForwarded = 1 << 2, // P ("passed")
  kFlagAnswered = 1 << 3,  // R ("replied")
  kFlagSeen = 1 << 4,      // S
  kFlagDeleted = 1 << 5,   // T ("trashed")
};
using MaildirFlags = uint8_t;

struct MaildirFilename {
  std::string_view base;      // up to the first ':' (the name the index keys on)
  MaildirFlags flags = 0;     // the standard flags of a ":2," info
  std::string_view keywords;  // the other flag letters (Dovecot keywords a-z), as found
  std::optional<uint64_t> size_bytes;   // ,S=
  std::optional<uint64_t> vsize_bytes;  // ,W=
};

// A name safe to use as one entry of cur/ or new/ (see SECURITY above).
bool maildir_name_ok(std::string_view name);
// Splits a name (which must pass maildir_name_ok). An info that is not
// "2,..." (experimental "1," or none) leaves flags and keywords empty.
MaildirFilename parse_maildir_filename(std::string_view name);
// Delivery order of two names: by the time they start with ("1733000000.M
// 81234P..." is second 1733000000, microsecond 81234; the microseconds are
// not zero-padded, so the names alone do not sort by time within a second),
// then by name. Names without that form sort by name after those with it.
bool delivered_before(std::string_view a, std::string_view b);
// base + ":2," + the standard flags in ASCII order + keywords (sorted, deduplicated).
std::string format_maildir_filename(std::string_view base, MaildirFlags flags, std::string_view keywords);
// "DFPRST" letters of flags, in order.
std::string maildir_flag_letters(MaildirFlags flags);
// A name's flags in one canonical form: the standard flag letters in order,
// then its keyword letters (a-z) as found; "" for none. tern-modseq records
// it to notice a change nobody recorded (modseq_log.h).
std::string maildir_info_letters(std::string_view name);

}  // namespace tern::store
