// The pure parts of ~/.forward (Postfix's local(8) forward_path and
// .forward syntax): where the file is looked for, and what its text says.
// The file itself is read as its owner by forward_file.h; what is done with
// the items is in forward_delivery.cpp.
//
// SECURITY: the text is written by a local user and may be hostile (very
// long lines, NUL bytes, shell syntax). Parsing is linear, bounded by the
// file size limit, and only classifies: a command is run by the caller as
// that user, never here; an item with control bytes is refused.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace tern::delivery {

// The largest .forward file read; a larger one is ignored with a warning.
inline constexpr size_t kMaxForwardFile = 64 * 1024;
// The most items one .forward may hold; the rest are ignored with a warning.
inline constexpr size_t kMaxForwardItems = 1000;

// What forward_path may name, besides main.cf parameters.
struct ForwardVars {
  std::string user, home, shell, extension, recipient, local, domain, delimiter;
};

// Expands forward_path (its raw text: $home etc. are delivery-time names)
// into the candidate file names, in order. A candidate that names an
// extension with '/', a leading '.' or a control byte is dropped, and so is
// one naming $home when the user has no absolute home, or one that is not
// absolute: "alice+/../x" never leads outside the home directory.
std::vector<std::string> forward_candidates(const config::Config& cfg, const ForwardVars& v);
// The same on a given forward_path text (for tests and fuzzing).
std::vector<std::string> expand_forward_path(std::string_view text, const ForwardVars& v,
                                             const config::Config* cfg = nullptr);

struct ForwardItem {
  enum class Kind { address, mailbox, command, file, include };
  Kind kind = Kind::address;
  // address: "bob@example.org" or "bob"; mailbox: the user after '\';
  // command: without the '|'; file: the absolute path; include: the path.
  std::string value;
};

struct ForwardList {
  std::vector<ForwardItem> items;
  // Why items were refused ("item 3: control character"), never their text.
  std::vector<std::string> refused;
};

// Parses .forward text: items separated by commas and newlines, "quoted"
// items may hold commas, '#' starts a comment line.
ForwardList parse_forward(std::string_view text);

}  // namespace tern::delivery
