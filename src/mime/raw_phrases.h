// The display names of an address list as written, for ENVELOPE: GMime's
// parser gives names decoded (RFC 2047, 8-bit guessed into UTF-8), but
// RFC 3501 clients expect the header's own text, and Dovecot sends that.
// This finds, for each "phrase <address>" element of the raw value, the
// phrase's bytes (one enclosing quoted string unquoted), so the envelope
// can pair them with GMime's mailboxes by address, in order.
//
// SECURITY: the value is untrusted. One linear pass; quoted strings and
// nested comments are skipped without recursion.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::mime {

class RawPhrases {
 public:
  explicit RawPhrases(std::string_view value);
  // The raw phrase of the next element (after the last one taken) whose
  // angle address is addr, or nullopt (then nothing is consumed).
  std::optional<std::string> take(std::string_view addr);

 private:
  struct Element {
    std::string_view phrase;
    std::string_view addr;
  };
  std::vector<Element> elements_;
  size_t next_ = 0;
};

}  // namespace tern::mime
