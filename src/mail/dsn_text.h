// Text helpers of the DSN composer (dsn.cpp): making untrusted text safe
// for a header field or a plain-text part, and folding it. Internal to mail.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tern::mail::dsn_text {

// Every C0 control byte and DEL becomes '?', TAB a space; with ascii_only,
// every byte >= 0x80 becomes '?' too. Cut to max_bytes (then "...").
std::string clean(std::string_view s, size_t max_bytes, bool ascii_only);

// "Name: value" folded at spaces so lines stay within 78 columns where the
// words allow (a word never exceeds the caller's bound), continuation lines
// starting with a space (RFC 5322 2.2.3). Ends with LF.
std::string field(std::string_view name, std::string_view value);

// Plain text wrapped at 72 columns, each line starting with indent. Ends with LF.
std::string wrap(std::string_view text, std::string_view indent);

// True for an RFC 3463 status "c.s.d" with class 2, 4 or 5.
bool valid_status(std::string_view s);

}  // namespace tern::mail::dsn_text
