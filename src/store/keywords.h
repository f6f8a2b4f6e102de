// IMAP keywords (user flags such as $Junk) in a Maildir, as Dovecot keeps
// them: a file name carries a keyword as one of the letters a-z after the
// standard flags, and the folder's "dovecot-keywords" file names the
// letters, one "<index> <name>" line each (0 is 'a', 25 is 'z'). So a
// folder has at most 26 keywords, and Dovecot and tern agree on them.
//
// SECURITY: the file is written by other programs. The parser is linear,
// bounded (kMaxKeywordsBytes) and lenient as Dovecot's is: a line that is
// not "<0-25> <name>" is skipped; names with control bytes, spaces or IMAP
// specials cannot come back out to a client, and a name seen twice (any
// case) keeps its first letter.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace tern::store {

constexpr size_t kMaxKeywords = 26;
constexpr size_t kMaxKeywordsBytes = 64 * 1024;
constexpr size_t kMaxKeywordBytes = 128;
constexpr const char* kKeywordsName = "dovecot-keywords";

using KeywordTable = std::array<std::string, kMaxKeywords>;  // "" where unused

// An IMAP flag-keyword atom: 1..kMaxKeywordBytes printable ASCII bytes, no
// space, no "(){%*\"\\]" and no leading '\\' (the system flags).
bool keyword_ok(std::string_view name);
KeywordTable parse_keywords(std::string_view bytes);
std::string format_keywords(const KeywordTable& table);
// The letter of name (case-insensitive), if the table has it.
std::optional<char> keyword_letter(const KeywordTable& table, std::string_view name);

}  // namespace tern::store
