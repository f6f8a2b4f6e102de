// One live search of a session (RFC 5267 4.3: SEARCH, UID SEARCH, SORT or
// UID SORT with RETURN (UPDATE)): what was asked and the result the client
// was last told, kept until CANCELUPDATE or the mailbox is left, and
// re-evaluated whenever the folder changed (cmd_context.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "imap/proto/search.h"
#include "imap/proto/sort.h"

namespace tern::imap {

// Live contexts per session; one more is refused with NO [NOUPDATE "tag"]
// (RFC 5267 4.3.1: at least one MUST be offered).
inline constexpr size_t kMaxSearchContexts = 10;

struct SearchContext {
  std::string tag;                      // the searching command's tag: the ESEARCH correlator
  bool uid = false;                     // UID SEARCH / UID SORT: UIDs, else sequence numbers
  bool sorted = false;                  // SORT: positions matter
  SearchKey root;
  std::vector<SortCriterion> criteria;  // SORT's
  std::vector<uint32_t> uids;           // the result as the client knows it, in its order
};

}  // namespace tern::imap
