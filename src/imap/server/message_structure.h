// The seam to the MIME parser (mime_parser.h adapts the mime module, on
// GMime; roles sets it in Services::structure): what FETCH needs
// that cannot be answered from the raw bytes. A MessageParser turns one
// message (CRLF line ends, as IMAP sends it) into a MessageStructure that
// answers ENVELOPE, BODY/BODYSTRUCTURE and numbered sections
// (BODY[1.2], BODY[2.HEADER], BODY[1.MIME], BINARY[...]).
//
// When none is wired (Services::structure is null), a FETCH asking for any
// of these gets "NO [CANNOT] ... not available" and nothing else of that
// FETCH is answered: a client never sees a made-up structure. SEARCH keys
// never need it (header and body keys search the raw bytes).
//
// SECURITY: the message is attacker bytes; the implementation bounds its
// nesting and part count (RELIABILITY.md #23, #24) and its run time.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/fetch.h"
#include "imap/proto/sort.h"

namespace tern::imap {

class MessageStructure {
 public:
  virtual ~MessageStructure() = default;
  // The parenthesised ENVELOPE (RFC 9051 7.5.2), ready to send.
  virtual std::string envelope() const = 0;
  // BODYSTRUCTURE (extensible) or BODY (not), parenthesised, ready to send.
  virtual std::string bodystructure(bool extensible) const = 0;
  // BODY[section]: the bytes of a section with part numbers or MIME
  // (section.part non-empty, or Text::mime), as stored; nullopt when the
  // message has no such part (the caller sends NIL).
  virtual std::optional<std::string> section(const Section& s) const = 0;
  // BINARY[part] (RFC 3516): the part's content with its
  // Content-Transfer-Encoding undone (empty part: the whole message).
  struct Decoded {
    enum class Status { ok, no_part, unknown_cte } status = Status::ok;
    std::string bytes;
  };
  virtual Decoded binary(const std::vector<uint32_t>& part) const = 0;
};

class MessageParser {
 public:
  virtual ~MessageParser() = default;
  virtual std::unique_ptr<MessageStructure> parse(std::string_view message_crlf) const = 0;
  // What SORT compares, from a message's header alone (CRLF).
  virtual SortFields sort_fields(std::string_view header_crlf) const = 0;
};

}  // namespace tern::imap
