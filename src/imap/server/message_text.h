// The raw-byte views of a message that FETCH and SEARCH answer without a
// MIME parser: IMAP's CRLF form of a Maildir file (stored with LF ends),
// the header and the text, HEADER.FIELDS (NOT), a header field's value,
// case-insensitive substring search, and IMAP's date-time (INTERNALDATE,
// APPEND). Pure functions.
//
// SECURITY: messages are attacker bytes. Everything here is one linear
// pass (substring search is bounded by needle x haystack, both bounded:
// the needle by the command reader, the message by message_size_limit).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::imap {

// Bare LF -> CRLF; CRLF stays.
std::string to_crlf(std::string_view bytes);
// CRLF -> LF (APPEND: Maildir stores LF, as delivery does).
std::string to_lf(std::string_view bytes);
// to_lf over bytes that come in pieces (a streamed APPEND literal): a CR
// that ends one piece is held until the next shows whether an LF follows.
class LfStream {
 public:
  std::string convert(std::string_view piece);
  std::string finish();  // the held CR, when the bytes ended with one
 private:
  bool held_cr_ = false;
};
// The size of to_crlf(bytes) (RFC822.SIZE).
uint64_t crlf_size(std::string_view bytes);

// The header with its blank line (RFC 9051 BODY[HEADER]), and the rest.
std::string_view header_of(std::string_view msg);
std::string_view text_of(std::string_view msg);
// The fields whose names are (or, with `exclude`, are not) among
// upper-cased `names`, in message order, followed by the blank line.
std::string header_fields(std::string_view header, const std::vector<std::string>& names, bool exclude);
// The unfolded values of every field named `name` (any case), joined by
// "\r\n" (SEARCH HEADER / FROM / SUBJECT ...); nullopt when there is none.
std::optional<std::string> header_values(std::string_view header, std::string_view name);
// ASCII case-insensitive substring; "" is in everything.
bool icontains(std::string_view haystack, std::string_view needle);

// RFC 9051 date-time: "17-Jul-1996 02:44:25 -0700" -> seconds since the epoch.
std::optional<int64_t> parse_date_time(std::string_view s);
// The INTERNALDATE form of t, in UTC: "17-Jul-1996 09:44:25 +0000".
std::string format_date_time(int64_t t);
// The date part (year, month 1-12, day) of an RFC 5322 Date: value
// ("Tue, 1 Jul 2003 10:52:37 +0200"), as written (no zone shift: RFC 9051
// SENTON ignores the time and zone); nullopt when it does not parse.
struct CivilDate {
  int year = 0, month = 0, day = 0;
  auto operator<=>(const CivilDate&) const = default;
};
std::optional<CivilDate> parse_rfc5322_date(std::string_view value);
// The UTC date of t.
CivilDate civil_date(int64_t t);

}  // namespace tern::imap
