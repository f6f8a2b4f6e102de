// LF to CRLF, the one conversion every reader of tern's Maildir files needs
// (they hold LF line ends; IMAP and POP3 count and send CRLF): every LF not
// already after a CR gets one; a lone CR stays as it is. Written once here,
// with memchr, because FETCH converts whole messages on every read.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tern::crlf {

// How many LFs of bytes have no CR before them.
size_t bare_lf_count(std::string_view bytes);
// Appends bytes to out, each bare LF written as CRLF.
void append(std::string& out, std::string_view bytes);

}  // namespace tern::crlf
