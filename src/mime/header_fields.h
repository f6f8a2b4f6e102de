// The fields of one entity's header section (RFC 5322 2.2), in CRLF form,
// as views into it: what ENVELOPE, BODYSTRUCTURE and HEADER.FIELDS read.
//
// SECURITY: message bytes are untrusted. Linear; at most max_header_fields
// fields are read; a line that is neither a field nor a continuation is
// skipped (it stays in the bytes HEADER returns).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::mime {

struct Field {
  std::string_view name;  // before the colon, trailing blanks removed
  std::string_view raw;   // the whole field: name, value, continuation lines, final CRLF
};

// header: a header section in CRLF form, with or without its empty line.
std::vector<Field> header_fields(std::string_view header);

// The value of a field: after the colon, line breaks of folding removed,
// leading and trailing blanks trimmed.
std::string field_value(const Field& field);

// The value of the first field named name (case-insensitive), if any.
std::optional<std::string> first_value(const std::vector<Field>& fields, std::string_view name);

bool iequals(std::string_view a, std::string_view b);

}  // namespace tern::mime
