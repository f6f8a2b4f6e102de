// SEARCH criteria (RFC 3501 6.4.4, RFC 9051 6.4.4, RFC 7162 MODSEQ,
// RFC 4731/9051 RETURN options, RFC 5182 "$", RFC 5267 CONTEXT, UPDATE
// and PARTIAL) parsed from the argument
// tree into a typed tree of keys. Evaluation belongs to the server.
//
// SECURITY: from the network. Recursion follows the argument tree, whose
// depth the reader bounds, and NOT/OR chains, bounded by max_depth here.
// Strings are kept as sent (UTF-8 once CHARSET is accepted); the charset
// is US-ASCII or UTF-8, anything else is refused with BADCHARSET.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imap/proto/sequence_set.h"
#include "imap/proto/value.h"

namespace tern::imap {

struct Date {
  int year = 0;   // 4 digits
  int month = 0;  // 1-12
  int day = 0;    // 1-31, checked against the month
  bool operator==(const Date&) const = default;
};
// date-text "1-Feb-1994" (day may have two digits); nullopt when invalid.
std::optional<Date> parse_date(std::string_view s);

struct SearchKey {
  enum class Op {
    all, and_, or_, not_, seqset, uid,  // structure and sets
    answered, deleted, draft, flagged, recent, seen, new_, old,
    unanswered, undeleted, undraft, unflagged, unseen,
    keyword, unkeyword,                  // text = the keyword
    bcc, body, cc, from, subject, text, to,  // text = the string
    header,                              // field = the header name, text = the string
    before, on, since, sentbefore, senton, sentsince,  // date
    larger, smaller,                     // number = size in bytes
    modseq,                              // number = mod-sequence; field = entry name, text = entry type
  };
  Op op = Op::all;
  std::string field;
  std::string text;
  Date date;
  uint64_t number = 0;
  SequenceSet set;                 // seqset, uid
  std::vector<SearchKey> children; // and_ (all must match), or_ (two), not_ (one)
};

// RFC 5267 4.4's PARTIAL range: positions low..high (1-based) of the
// results; "500:400" is 400:500.
struct PartialRange {
  uint32_t low = 0, high = 0;
  bool operator==(const PartialRange&) const = default;
};

struct SearchRequest {
  bool esearch = false;   // a RETURN (...) was given (RFC 4731)
  bool ret_min = false, ret_max = false, ret_all = false, ret_count = false, ret_save = false;
  bool ret_update = false;               // RFC 5267 4.3: keep the result live (ADDTO/REMOVEFROM)
  std::optional<PartialRange> partial;   // RFC 5267 4.4 (positive ranges only; RFC 9394's negative ones are not taken)
  std::string charset;    // upper-cased; "" when absent
  SearchKey root;         // an and_ of the keys
};

struct SearchError {
  std::string text;
  bool bad_charset = false;  // answer NO [BADCHARSET (US-ASCII UTF-8)]
};

struct SearchLimits {
  size_t max_depth = 32;  // NOT/OR nesting and parenthesised groups
};

// RETURN's list (MIN, MAX, ALL, COUNT, SAVE; RFC 5267's CONTEXT, a hint
// that is accepted and ignored, UPDATE and PARTIAL low:high; "()" and
// "(CONTEXT)" are ALL) into req, which becomes an ESEARCH request; shared
// with SORT's ESORT form. PARTIAL with ALL, or twice, and UPDATE twice are
// errors (RFC 5267 4.4: one PARTIAL or one ALL).
std::optional<SearchError> parse_return_options(const Value* opts, SearchRequest& req);

// "low:high" (either order, both non-zero, no "*"): RFC 5267's partial-range.
std::optional<PartialRange> parse_partial_range(std::string_view s);

// Parses the arguments of SEARCH (after the command name, or after "UID SEARCH").
std::variant<SearchRequest, SearchError> parse_search(const std::vector<Value>& args, size_t first,
                                                      const SearchLimits& limits = {});

}  // namespace tern::imap
