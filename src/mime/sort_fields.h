// What SORT (RFC 5256, RFC 5957 DISPLAY) compares of a message, read from
// its header with GMime: the Subject decoded from RFC 2047 words to UTF-8,
// the first From/To/Cc address, and the Date: header as a time.
//
// SECURITY: the header is untrusted: fields and address lists are bounded
// as for ENVELOPE (limits.h), the subject to max_sort_subject_bytes.
#pragma once

#include <string_view>

#include "imap/proto/sort.h"

namespace tern::mime {

// Subjects longer than this are compared by their first bytes only.
inline constexpr size_t max_sort_subject_bytes = 4096;

// header: a header section in CRLF form.
imap::SortFields sort_fields_of(std::string_view header);

}  // namespace tern::mime
