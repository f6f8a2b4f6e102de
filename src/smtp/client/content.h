// The message content as the SMTP client puts it on the wire: the queue
// stores lines ending in LF; SMTP wants CRLF (RFC 5321 2.3.8), and DATA
// wants every line starting with "." doubled (4.5.2) and ".\r\n" after the
// last line; BDAT (RFC 3030) takes the CRLF form as it is. Pure.
//
// A CR before an LF is taken as part of the line end (content that already
// has CRLF is not doubled); a last line without LF gets CRLF. No other byte
// is changed: 8-bit content goes as it is (docs/behaviour.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::smtp::client {

// Bytes of the CRLF form, without dot-stuffing (what SIZE= announces and
// what BDAT sends).
uint64_t wire_size(std::string_view content);
// The CRLF form; with dot_stuff, also the leading dots doubled and the
// final ".\r\n" appended (the DATA form).
std::string wire_form(std::string_view content, bool dot_stuff);

}  // namespace tern::smtp::client
