// libFuzzer target: IMAP URLs (imap_url.h). Properties: nothing over
// kMaxImapUrlBytes parses; decoding text without escapes changes nothing; a parsed URL names a message (uid > 0), has a
// mailbox unless relative to the selected one, and no NUL in what was
// percent-decoded.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "imap/proto/imap_url.h"

using namespace tern::imap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // Without escapes decoding is the identity (or refuses a NUL).
  if (auto d = percent_decode(in); in.find('%') == std::string_view::npos) {
    if (d.has_value() != (in.find('\0') == std::string_view::npos) || (d && *d != in)) __builtin_trap();
  }
  auto r = parse_imap_url(in);
  auto* u = std::get_if<ImapUrl>(&r);
  if (!u) return 0;
  if (size > kMaxImapUrlBytes || u->uid == 0) __builtin_trap();
  if ((u->base == ImapUrl::Base::selected) != u->mailbox.empty()) __builtin_trap();
  if (u->mailbox.find('\0') != std::string::npos || u->user.find('\0') != std::string::npos) __builtin_trap();
  return 0;
}
