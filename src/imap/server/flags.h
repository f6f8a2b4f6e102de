// IMAP flags over the store's: the system flags are Maildir's letters
// (\Seen S, \Answered R, \Flagged F, \Deleted T, \Draft D), "$Forwarded" is
// Maildir's P (as Dovecot's maildir does not, but mutt and Courier do),
// any other keyword is a Dovecot keyword of the folder.
#pragma once

#include <string>
#include <vector>

#include "store/mailbox.h"

namespace tern::imap {

// The list FLAGS answers: system flags first, then keywords.
std::vector<std::string> flag_names(store::MessageFlags flags, const std::vector<std::string>& keywords);
// "(\Seen $Label)" for a message.
std::string flag_list(store::MessageFlags flags, const std::vector<std::string>& keywords);

struct SplitFlags {
  store::MessageFlags system = 0;
  std::vector<std::string> keywords;
};
// Flags as parse_flag gives them (system flags canonical) into the two kinds.
SplitFlags split_flags(const std::vector<std::string>& flags);

// SELECT's FLAGS and PERMANENTFLAGS lines.
std::string flags_response(const std::vector<std::string>& folder_keywords);
std::string permanent_flags_response(const std::vector<std::string>& folder_keywords, bool read_only);

}  // namespace tern::imap
