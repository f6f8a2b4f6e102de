// Evaluates a parsed SEARCH key tree (imap/proto/search.h) against one
// message. Flags, sequence numbers, UIDs, internal dates and sizes come
// from the message's record; HEADER, FROM/TO/CC/BCC/SUBJECT, BODY, TEXT and
// the SENT* dates read the raw message (its CRLF form), fetched lazily and
// only when a key needs it: case-insensitive ASCII substrings, no MIME
// decoding (a MIME-aware search is the MessageParser's, later).
//
// SECURITY: the key tree's depth is bounded by the parser; each key costs
// at most one substring scan of the message.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "imap/proto/search.h"
#include "store/mailbox.h"

namespace tern::imap {

struct SearchSubject {
  uint32_t msn = 0, max_msn = 0;
  uint32_t uid = 0, max_uid = 0;
  store::MessageFlags flags = 0;
  const std::vector<std::string>* keywords = nullptr;
  uint64_t modseq = 0;  // the message's (one for all flags: RFC 7162 3.1.5 allows it)
  const std::vector<uint32_t>* saved = nullptr;  // "$" (RFC 5182): the saved UIDs, ascending
  int64_t internal_date_s = 0;
  std::function<uint64_t()> size;              // RFC822.SIZE
  std::function<const std::string*()> bytes;   // CRLF message, nullptr if unreadable
  std::function<const std::string*()> header;  // its header alone (header keys, SENT*), likewise
};

bool search_matches(const SearchKey& key, SearchSubject& m);

}  // namespace tern::imap
