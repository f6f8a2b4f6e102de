// Mailbox names and LIST matching (see names.h).
#include "imap/server/names.h"

#include <vector>

#include "imap/proto/chars.h"
#include "imap/proto/mutf7.h"
#include "store/maildir_store.h"

namespace tern::imap {

std::optional<std::string> folder_of(std::string_view name) {
  if (name.size() > 1 && name.back() == kDelimiter) name.remove_suffix(1);
  if (store::is_inbox(name)) return std::string("INBOX");
  if (name.size() > 6 && iequals(name.substr(0, 6), "INBOX.")) {
    // "inbox.x" is INBOX's child, whatever its case (RFC 9051 5.1).
    std::string rest(name.substr(6));
    auto f = folder_of(rest);
    if (!f) return std::nullopt;
    return "INBOX." + *f;
  }
  if (!mutf7_decode(name)) return std::nullopt;
  if (!store::folder_name_ok(name)) return std::nullopt;
  return std::string(name);
}

std::optional<std::string> folder_of_utf8(std::string_view name) {
  // RFC 6855 3: names are Net-Unicode (RFC 5198), so no C0 or C1 controls
  // or DEL, which modified UTF-7 would otherwise hide from the store's check.
  for (size_t i = 0; i < name.size(); ++i) {
    auto u = static_cast<unsigned char>(name[i]);
    if (u < 0x20 || u == 0x7f) return std::nullopt;
    if (u == 0xc2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) < 0xa0) return std::nullopt;
  }
  auto encoded = mutf7_encode(name);  // nullopt for invalid UTF-8
  if (!encoded) return std::nullopt;
  return folder_of(*encoded);
}

std::string client_name(std::string_view folder, bool utf8) {
  if (!utf8) return std::string(folder);
  auto decoded = mutf7_decode(folder);
  return decoded ? *decoded : std::string(folder);
}

std::string join_reference(std::string_view reference, std::string_view pattern) {
  if (reference.empty()) return std::string(pattern);
  if (!pattern.empty() && pattern[0] == kDelimiter) {
    if (reference.back() == kDelimiter) reference.remove_suffix(1);
  }
  return std::string(reference) + std::string(pattern);
}

bool list_match(std::string_view pattern, std::string_view name) {
  if (pattern.size() > kMaxPatternBytes) return false;
  // INBOX is matched in any case: compare it upper-cased on both sides.
  std::string n(name), p(pattern);
  if (store::is_inbox(n.substr(0, 5)) && (n.size() == 5 || n[5] == kDelimiter)) {
    for (size_t i = 0; i < 5; ++i) n[i] = static_cast<char>(upper(std::string_view(&n[i], 1))[0]);
    if (p.size() >= 5 && iequals(p.substr(0, 5), "INBOX")) p = "INBOX" + p.substr(5);
  }
  // dp[j]: pattern[0..i) matches name[0..j). O(|p| x |n|), both bounded.
  std::vector<char> dp(n.size() + 1, 0), next(n.size() + 1, 0);
  dp[0] = 1;
  for (char pc : p) {
    std::fill(next.begin(), next.end(), 0);
    if (pc == '*' || pc == '%') {
      char run = 0;
      for (size_t j = 0; j <= n.size(); ++j) {
        if (j > 0 && pc == '%' && n[j - 1] == kDelimiter) run = 0;
        run = run || dp[j];
        next[j] = run;
      }
    } else {
      for (size_t j = 1; j <= n.size(); ++j) next[j] = dp[j - 1] && n[j - 1] == pc;
    }
    dp.swap(next);
  }
  return dp[n.size()];
}

}  // namespace tern::imap
