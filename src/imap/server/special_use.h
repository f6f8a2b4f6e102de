// SPECIAL-USE (RFC 6154): the folders every new account gets, and the
// attribute LIST shows for each, as Dovecot's stock configuration names
// them (Drafts, Sent, Trash, Junk, Archive at the top level), so that mail
// clients find where to save sent mail and drafts without asking the user.
#pragma once

#include <array>
#include <string_view>

namespace tern::imap {

struct SpecialFolder {
  std::string_view name;       // the folder, as stored
  std::string_view attribute;  // its RFC 6154 attribute
};

inline constexpr std::array<SpecialFolder, 5> kSpecialFolders{{
    {"Drafts", "\\Drafts"},
    {"Sent", "\\Sent"},
    {"Trash", "\\Trash"},
    {"Junk", "\\Junk"},
    {"Archive", "\\Archive"},
}};

// The attribute of a folder name, or "" for any other folder.
inline std::string_view special_use(std::string_view folder) {
  for (const auto& f : kSpecialFolders)
    if (f.name == folder) return f.attribute;
  return {};
}

}  // namespace tern::imap
