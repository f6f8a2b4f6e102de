// Response formatting helpers (RFC 3501 section 9 string / astring /
// nstring, flag-list): a value the server sends becomes an atom, a quoted
// string, or a literal when quoting cannot carry it.
//
// SECURITY: server output carries message and mailbox bytes; CR, LF and NUL
// never go into a quoted string (they force a literal), so stored data
// cannot inject response lines.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::imap {

// "..." with \ and " escaped, or {n}CRLF followed by the bytes when s has
// CR, LF, NUL, is longer than 4096 bytes, or has 8-bit bytes and !utf8.
std::string format_string(std::string_view s, bool utf8 = false);
// NIL for nullopt, else format_string.
std::string format_nstring(const std::optional<std::string>& s, bool utf8 = false);
// The bare atom when s is a non-empty run of ASTRING-CHARs other than
// "NIL", else format_string.
std::string format_astring(std::string_view s, bool utf8 = false);
// "(\Seen $Label)".
std::string format_flag_list(const std::vector<std::string>& flags);

}  // namespace tern::imap
