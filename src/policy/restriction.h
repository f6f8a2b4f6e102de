// Restriction lists as Postfix writes them (smtpd_client_restrictions,
// smtpd_helo_restrictions, smtpd_sender_restrictions,
// smtpd_relay_restrictions, smtpd_recipient_restrictions): the names tern
// knows and the pure parser from the words of a list to typed entries.
// Tables are not opened here (policy.cpp does that), so the parser can be
// fuzzed alone (restriction_fuzz.cpp).
//
// SECURITY: the words come from main.cf, which only the administrator
// writes; still, the parser is linear, allocates at most one entry per word
// and never reads a file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tern::policy {

enum class RestrictionKind {
  permit,                        // permit: ends this list, the next list runs
  reject,                        // reject: 554 5.7.1 ... Access denied
  defer,                         // defer: 450 4.7.1 ... Try again later
  permit_mynetworks,             // the client is in mynetworks
  permit_sasl_authenticated,     // the client authenticated (SMTP AUTH)
  permit_auth_destination,       // the recipient's domain is ours or relay_domains
  reject_unauth_destination,     // 554 5.7.1 Relay access denied unless it is
  defer_unauth_destination,      // 450 4.7.1 Relay access denied unless it is
  reject_sender_login_mismatch,  // the sender address is not the login's (553 5.7.1)
  permit_pop_before_smtp,        // the client IP logged in to POP3/IMAP recently
  check_client_access,           // type:table, keyed by the client IP (and its prefixes)
  check_helo_access,             // type:table, keyed by the HELO name (and its parents)
  check_sender_access,           // type:table, keyed by the sender address
  check_recipient_access,        // type:table, keyed by the recipient address
};

struct RestrictionSpec {
  RestrictionKind kind;
  std::string table;  // "type:name" for the check_*_access kinds, else ""
};

// The name main.cf uses for a kind.
std::string_view restriction_name(RestrictionKind k);
// True for the kinds followed by a table.
bool takes_table(RestrictionKind k);

// Parses the words of one list (main.cf's list splitting already done:
// "check_client_access texthash:/x" is two words). Names are matched in any
// case, as Postfix does. Errors name the word and the fix ("did you mean
// 'permit_mynetworks'?", "check_sender_access needs a table after it").
Result<std::vector<RestrictionSpec>> parse_restrictions(const std::vector<std::string>& words);

}  // namespace tern::policy
