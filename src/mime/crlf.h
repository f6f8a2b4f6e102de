// The line-end form of this module: messages are taken with LF, CRLF or
// mixed line ends (tern's Maildir files have LF) and everything reported
// (sizes, line counts, section bytes) is in the CRLF form IMAP counts in,
// where every LF not already after a CR is preceded by one. A lone CR is
// left as it is.
#pragma once

#include <string>
#include <string_view>

namespace tern::mime {

// The CRLF form of bytes: a view of bytes itself when it has no bare LF,
// else of storage, which receives the converted copy.
std::string_view to_crlf(std::string_view bytes, std::string& storage);

}  // namespace tern::mime
