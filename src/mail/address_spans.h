// address_spans: where the addresses sit in the value of an address header
// (From:, To:, Cc:, ...), as byte ranges, so that a rewriting step can
// replace just those bytes and leave everything else (display names,
// encoded words, comments, group syntax, folding) exactly as it came.
//
// What counts as an address (RFC 5322 3.4, read leniently): the inside of
// <...> (not when it holds a source route "@a,@b:x@y"), or, in a list
// element without angle brackets, its one run of adjacent words and quoted
// strings when that run holds an '@' ("x@y (Comment)" gives "x@y"). A group
// name ("undisclosed-recipients:") is never an address; a list element
// with several runs and no brackets (a display name without an address) gives
// nothing.
//
// SECURITY: the value is untrusted. Pure and linear: every step advances,
// comments nest without recursion, and at most max_spans ranges are given.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace tern::mail {

struct Span {
  size_t begin = 0;
  size_t end = 0;  // one past the last byte
};

std::vector<Span> address_spans(std::string_view value, size_t max_spans = 1000);

}  // namespace tern::mail
