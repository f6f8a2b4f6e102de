// RFC 5267 4.3 (CONTEXT=SEARCH, CONTEXT=SORT): how a live search result
// changed, as the ADDTO and REMOVEFROM return data items that turn the
// client's copy of the old result into the new one. Pure: the session
// evaluates the search and sends the ESEARCH lines (cmd_context.cpp).
//
// A SEARCH context is in mailbox order, so its items use context position
// 0 (4.3.3/4.3.4: "MAY be zero" for SEARCH; the set in mailbox order, as
// RECOMMENDED). A SORT context's order matters: each item carries the
// 1-based position where its run is removed or inserted, applied in order
// (4.3.2: the client processes them in the order they appear), removals
// first. Results are numbers in their order (UIDs, usually); a number that
// stays but moves (its order against the others changed) is removed and
// inserted again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tern::imap {

struct ContextChange {
  bool add = false;               // ADDTO, else REMOVEFROM
  uint32_t position = 0;          // 0 for a SEARCH context
  std::vector<uint32_t> numbers;  // in result order
  bool operator==(const ContextChange&) const = default;
};

// The changes, removals first, that make `before` into `after`. sorted:
// a SORT context (positions); else both lists are ascending (mailbox order)
// and at most one removal and one addition come out, at position 0.
std::vector<ContextChange> context_changes(const std::vector<uint32_t>& before, const std::vector<uint32_t>& after,
                                           bool sorted);

// " REMOVEFROM (pos set ...)" / " ADDTO (pos set ...)" for the changes
// (consecutive items of one kind joined in one data item), numbers mapped
// by the caller beforehand; "" when there are none.
std::string context_change_items(const std::vector<ContextChange>& changes);

}  // namespace tern::imap
