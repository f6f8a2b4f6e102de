// What IMAP reads from a message's MIME structure: ENVELOPE, BODY and
// BODYSTRUCTURE (RFC 3501 7.4.2, RFC 9051 7.5.2) and the bytes of
// BODY[section] (RFC 3501 6.4.5), as pure functions of the message bytes.
//
// Forms: the message may have LF, CRLF or mixed line ends; every size, line
// count and section is reported in the CRLF form (crlf.h), which is what
// IMAP counts and sends. ENVELOPE and BODYSTRUCTURE come as the IMAP text
// of the parenthesized list (strings quoted, or literals when they hold
// CR, LF, NUL or 8-bit bytes: imap/proto/response.h), ready to follow
// "ENVELOPE " or "BODYSTRUCTURE " in a FETCH response.
//
// Use Message to parse once and answer several FETCH items; the free
// functions parse each time. Thread-safe: no shared state but GMime's
// once-initialised tables (gmime_init.h).
//
// SECURITY: the message is untrusted; limits.h bounds depth, parts and
// parameters, and a structure cut there is still answered.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "imap/proto/fetch.h"
#include "mime/tree.h"

namespace tern::mime {

class Message {
 public:
  // Borrows bytes when they are already CRLF (they must then outlive the
  // Message), else keeps a converted copy.
  explicit Message(std::string_view bytes);

  std::string_view crlf() const { return owned_ ? std::string_view(storage_) : borrowed_; }
  size_t size() const { return crlf().size(); }  // RFC822.SIZE
  const Tree& tree() const { return tree_; }

  std::string envelope() const;
  // BODY (extended false) or BODYSTRUCTURE (true).
  std::string body_structure(bool extended) const;
  // BODY[section] in CRLF form, or nullopt when the message has no such
  // part (or HEADER/TEXT is asked of a part that is not message/rfc822, or
  // MIME of the whole message). The partial <origin.octets> is the
  // caller's. Fields of HEADER.FIELDS compare case-insensitively.
  std::optional<std::string> section(const imap::Section& section) const;

 private:
  bool owned_ = false;
  std::string storage_;
  std::string_view borrowed_;
  Tree tree_;
};

std::string envelope(std::string_view message);
std::string bodystructure(std::string_view message, bool extended);
std::optional<std::string> section(std::string_view message, const imap::Section& section);

}  // namespace tern::mime
