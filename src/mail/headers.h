// Message header section (RFC 5322 2.2) as a list of fields, and address
// lists in To:/Cc:/Bcc: for `sendmail -t`. Pure and linear in the input
// (RELIABILITY.md #23: Dovecot's quadratic address parsing).
//
// SECURITY: parses message content from local users and the network; every
// loop advances, field count is bounded by the caller.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tern::mail {

struct HeaderField {
  std::string name;   // as written, without the colon
  std::string value;  // unfolded: continuation line breaks removed
  size_t begin = 0;   // byte range of the whole field in the content,
  size_t end = 0;     // including continuation lines and the final LF
};

struct HeaderSection {
  std::vector<HeaderField> fields;
  size_t body_offset = 0;  // first byte after the empty line (or content size)
  bool truncated = false;  // more than max_fields
};

// Content uses LF line endings. Parsing stops at the first empty line or at
// a line that is not a field (no colon, not a continuation): that line
// starts the body, as RFC 5322 readers do.
HeaderSection parse_header_section(std::string_view content, size_t max_fields = 10000);

// Counts Received: fields in the header section (up to the first empty
// line) of content with LF line endings, for the hop-count check.
int count_received(std::string_view content);

// "A <a@x>, b@y (comment), \"q, r\" <c@z>, group: d@w;" -> addresses.
std::vector<std::string> extract_addresses(std::string_view value);

}  // namespace tern::mail
