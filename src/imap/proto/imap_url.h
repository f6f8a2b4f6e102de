// IMAP URLs naming a message or a part of one (RFC 5092), as CATENATE's
// URL parts carry them (RFC 4469 5): the absolute form
//   imap://[user[;AUTH=mech]@]host[:port]/Mailbox[;UIDVALIDITY=n]/;UID=n[/;SECTION=s][/;PARTIAL=o[.l]]
// and the two relative forms RFC 4469 allows: from the server's root
// ("/Mailbox;UIDVALIDITY=n/;UID=n...") and from the selected mailbox
// (";UID=n..."). Keywords are case-insensitive; the mailbox, user and
// section are percent-decoded (RFC 5092 3: the mailbox name is UTF-8).
// Search URLs, message lists and URLAUTH (";EXPIRE=", ";URLAUTH=") are
// refused: CATENATE needs one message.
//
// SECURITY: URLs come from the network. Parsing is one pass over at most
// kMaxImapUrlBytes; decoded text is checked by its user (the mailbox by
// names.h, the user by comparison); NUL is refused anywhere; the section
// goes through the FETCH section parser with its bounds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "imap/proto/fetch.h"

namespace tern::imap {

// Longer URLs are refused (Dovecot allows 8 KiB for a whole URL too).
inline constexpr size_t kMaxImapUrlBytes = 8192;

struct ImapUrl {
  enum class Base { absolute, server_root, selected };
  Base base = Base::absolute;
  std::string user;          // absolute form: "" when not given
  std::string host;          // absolute form, as written (no port)
  std::string mailbox;       // UTF-8; "" for Base::selected
  uint32_t uidvalidity = 0;  // 0: not given
  uint32_t uid = 0;
  bool has_section = false;
  Section section;
  bool has_partial = false;
  uint32_t partial_offset = 0;
  uint32_t partial_length = 0;  // 0: to the end
};

// The URL, or why it is not one tern takes.
std::variant<ImapUrl, std::string> parse_imap_url(std::string_view url);

// Percent-decoding (RFC 3986 2.1); nullopt for a bad escape or a NUL.
std::optional<std::string> percent_decode(std::string_view s);

}  // namespace tern::imap
