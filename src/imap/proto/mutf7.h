// Modified UTF-7 mailbox names (RFC 3501 section 5.1.3), which IMAP4rev1
// clients send and expect until they ENABLE UTF8=ACCEPT (RFC 6855).
//
// SECURITY: names come from the network and become paths. Decoding is
// strict: only the canonical form of a name is accepted, so one name has one
// spelling (no "&AGE-" for "a", no "&AOk-&AOk-" for two accented letters
// written as one run, no padding bits set, no lone UTF-16 surrogates, no
// unterminated "&"). What a name may contain ("..", "/") is the mailbox
// layer's rule, not this one's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern::imap {

// UTF-8 -> modified UTF-7; nullopt when the input is not valid UTF-8.
std::optional<std::string> mutf7_encode(std::string_view utf8);
// Modified UTF-7 -> UTF-8; nullopt for anything but the canonical encoding.
std::optional<std::string> mutf7_decode(std::string_view mutf7);
// Whether s is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace tern::imap
