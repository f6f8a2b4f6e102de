// Mailbox names between the client and the store, and LIST's wildcards.
// tern's IMAP hierarchy delimiter is ".", which is Maildir++'s, so a
// client's name maps one to one onto the store's folder name: both are
// modified UTF-7 (RFC 3501 5.1.3). "INBOX" in any case is INBOX.
//
// SECURITY: names come from the network and become directory names.
// folder_of accepts only canonical modified UTF-7 (mutf7.h) and what the
// store's folder_name_ok accepts (no "/", no empty level, so no "..", no
// control bytes, bounded depth and length); the store checks again.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern::imap {

inline constexpr char kDelimiter = '.';

// The store's folder for a client's mailbox name; nullopt when the name is
// not one (bad mUTF-7, a path, empty levels). A trailing "." (CREATE's
// "this will have children") is dropped.
std::optional<std::string> folder_of(std::string_view client_name);

// After ENABLE UTF8=ACCEPT (RFC 6855) a client's names are UTF-8, while
// the store keeps them in modified UTF-7 (as Dovecot does), so one folder
// has one directory whichever way a client speaks. "&" in a UTF-8 name is
// a plain ampersand (stored "&-").
// The store's folder for a UTF-8 name; nullopt for invalid UTF-8 and for
// what folder_of refuses.
std::optional<std::string> folder_of_utf8(std::string_view utf8_name);
// The name a client sees for a store folder: as stored, or with utf8
// decoded to UTF-8. A stored name that is not canonical modified UTF-7
// (another program made it) is shown as stored.
std::string client_name(std::string_view folder, bool utf8);

// LIST / LSUB: reference and pattern joined (RFC 3501 6.3.8), then matched:
// "*" matches anything, "%" anything but the delimiter; INBOX's name is
// compared in any case. Patterns over kMaxPatternBytes match nothing.
inline constexpr size_t kMaxPatternBytes = 1024;
std::string join_reference(std::string_view reference, std::string_view pattern);
bool list_match(std::string_view pattern, std::string_view name);

}  // namespace tern::imap
