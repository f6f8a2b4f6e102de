// IMAP flags over the store's (see flags.h).
#include "imap/server/flags.h"

#include <algorithm>
#include <utility>

#include "imap/proto/chars.h"
#include "imap/proto/response.h"

namespace tern::imap {
namespace {

const std::pair<store::MessageFlags, const char*> kSystem[] = {
    {store::kFlagSeen, "\\Seen"},       {store::kFlagAnswered, "\\Answered"}, {store::kFlagFlagged, "\\Flagged"},
    {store::kFlagDeleted, "\\Deleted"}, {store::kFlagDraft, "\\Draft"},       {store::kFlagForwarded, "$Forwarded"},
};

}  // namespace

std::vector<std::string> flag_names(store::MessageFlags flags, const std::vector<std::string>& keywords) {
  std::vector<std::string> out;
  for (const auto& [bit, name] : kSystem)
    if (flags & bit) out.emplace_back(name);
  for (const auto& k : keywords)
    if (!iequals(k, "$Forwarded")) out.push_back(k);
  return out;
}

std::string flag_list(store::MessageFlags flags, const std::vector<std::string>& keywords) {
  return format_flag_list(flag_names(flags, keywords));
}

SplitFlags split_flags(const std::vector<std::string>& flags) {
  SplitFlags out;
  for (const auto& f : flags) {
    bool system = false;
    for (const auto& [bit, name] : kSystem)
      if (iequals(f, name)) {
        out.system |= bit;
        system = true;
      }
    if (!system && std::find(out.keywords.begin(), out.keywords.end(), f) == out.keywords.end())
      out.keywords.push_back(f);
  }
  return out;
}

std::string flags_response(const std::vector<std::string>& folder_keywords) {
  std::vector<std::string> all = flag_names(0x3f, folder_keywords);
  return "* FLAGS " + format_flag_list(all) + "\r\n";
}

std::string permanent_flags_response(const std::vector<std::string>& folder_keywords, bool read_only) {
  std::vector<std::string> all;
  if (!read_only) {
    all = flag_names(0x3f, folder_keywords);
    all.emplace_back("\\*");
  }
  return "* OK [PERMANENTFLAGS " + format_flag_list(all) + "] " + (read_only ? "No permanent flags permitted" : "Flags permitted") + "\r\n";
}

}  // namespace tern::imap
