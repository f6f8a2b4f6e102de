// Quotas per account, as Dovecot writes them and Maildir++ keeps them, so
// that a site moving between Dovecot, Courier and tern keeps its limits and
// its usage figures.
//
// The rule: Dovecot's quota_rule syntax, "*:storage=1G" (bytes; suffixes
// b, k, M, G, T, powers of 1024; a bare number is kilobytes, as Dovecot
// reads it), "*:messages=1000", or both in one rule ("*:storage=1G:messages=
// 1000"); "*:bytes=N" is storage in bytes; "*:ignore" or "none" means no
// limit. Only the "*" (whole account) form is read: a per-folder rule
// ("Trash:storage=+100M") is refused with a clear error.
//
// The usage: the account's `maildirsize` file (Maildir++ quota, read and
// written by Dovecot's quota=maildir backend, Courier and maildrop): its
// first line states the limits ("1073741824S,1000C"), every later line is a
// change "<bytes> <messages>" (negative for removals), appended by whoever
// stores or removes mail. The usage is the sum of those lines. The file is
// rebuilt from the folders (every cur/ and new/ of the account) when it is
// missing, unreadable, states other limits than the rule, or has grown past
// 5120 bytes (the Maildir++ rule), by writing a temporary file and renaming
// it into place.
//
// SECURITY: maildirsize is input (other programs write it): parse_maildirsize
// is pure, bounded and fuzzed; a line it cannot read makes the file be
// rebuilt, never trusted.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::store {

struct QuotaRule {
  uint64_t storage_bytes = 0;  // 0: no limit
  uint64_t messages = 0;       // 0: no limit
  bool limited() const { return storage_bytes != 0 || messages != 0; }
};

struct QuotaUsage {
  int64_t bytes = 0;
  int64_t messages = 0;
};

// Parses one quota rule ("*:storage=1G"); errors say what is wrong.
Result<QuotaRule> parse_quota_rule(std::string_view rule);
// The rule in the extra fields of a Dovecot passwd-file line
// ("userdb_quota_rule=*:storage=1G userdb_quota_rule2=*:messages=100"; the
// "userdb_" prefix is optional), or nullopt when they name none.
Result<std::optional<QuotaRule>> quota_rule_from_extra(std::string_view extra);

// A maildirsize file's text: the limits of its first line and the sum of
// the others. nullopt when any line is malformed (the file must be rebuilt).
struct MaildirSize {
  QuotaRule limits;
  QuotaUsage usage;
  size_t lines = 0;  // change lines after the first
};
std::optional<MaildirSize> parse_maildirsize(std::string_view text);
// The first line for a rule: "1073741824S,1000C" (a zero limit is left out).
std::string maildirsize_header(const QuotaRule& rule);

// The account's usage under `rule`, from ROOT/maildirsize, rebuilt first
// when it is missing, malformed, too long or for other limits.
Result<QuotaUsage> quota_usage(const std::string& root, const QuotaRule& rule);
// Appends a change line to ROOT/maildirsize, if the file exists (no file:
// no quota is kept for the account, nothing to do).
Status quota_add(const std::string& root, int64_t bytes, int64_t messages);
// Rebuilds ROOT/maildirsize from the folders under `rule`.
Result<QuotaUsage> quota_recalculate(const std::string& root, const QuotaRule& rule);

// The rule for an account ("user@domain"): roles builds it from the
// passwd-file's extra fields and the quota_rule parameter; delivery and IMAP
// ask it. An error (a malformed rule) defers rather than guesses.
using QuotaLookup = std::function<Result<QuotaRule>(const std::string& account)>;

// True when adding `messages` messages of `bytes` in all would go over the rule.
bool quota_exceeded(const QuotaRule& rule, const QuotaUsage& usage, uint64_t bytes, uint64_t messages = 1);

}  // namespace tern::store
