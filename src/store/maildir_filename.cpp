// Maildir file names (see maildir_filename.h): the pure split of a name into
// base, flags and size fields, and the name for a changed set of flags.
#include "store/maildir_filename.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

namespace tern::store {
namespace {

constexpr size_t kMaxNameBytes = 255;  // NAME_MAX: longer cannot exist on disk
constexpr std::string_view kLetters = "DFPRST";

std::optional<uint64_t> field_value(std::string_view base, std::string_view key) {
  // Fields follow the unique part, each after a ','; the first field
  // before any ',' is the unique part itself and never a size.
  size_t pos = base.find(',');
  while (pos != std::string_view::npos) {
    size_t next = base.find(',', pos + 1);
    std::string_view field = base.substr(pos + 1, next == std::string_view::npos ? next : next - pos - 1);
    if (field.size() > key.size() && field.substr(0, key.size()) == key) {
      std::string_view digits = field.substr(key.size());
      uint64_t v = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (ec == std::errc() && end == digits.data() + digits.size()) return v;
      return std::nullopt;
    }
    pos = next;
  }
  return std::nullopt;
}

}  // namespace

bool maildir_name_ok(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes || name[0] == '.') return false;
  for (unsigned char c : name)
    if (c == '/' || c < 0x20 || c == 0x7f) return false;
  return true;
}

MaildirFilename parse_maildir_filename(std::string_view name) {
  MaildirFilename out;
  size_t colon = name.find(':');
  out.base = name.substr(0, colon);
  out.size_bytes = field_value(out.base, "S=");
  out.vsize_bytes = field_value(out.base, "W=");
  if (colon == std::string_view::npos) return out;
  std::string_view info = name.substr(colon + 1);
  if (info.size() < 2 || info[0] != '2' || info[1] != ',') return out;
  std::string_view letters = info.substr(2);
  size_t kw_start = letters.size();
  for (size_t i = 0; i < letters.size(); ++i) {
    size_t bit = kLetters.find(letters[i]);
    if (bit != std::string_view::npos) {
      out.flags |= static_cast<MaildirFlags>(1u << bit);
    } else if (kw_start == letters.size()) {
      kw_start = i;
    }
  }
  // Keywords: every letter that is not a standard flag, as written (the
  // standard ones among them are dropped again by format).
  if (kw_start < letters.size()) out.keywords = letters.substr(kw_start);
  return out;
}

std::string maildir_flag_letters(MaildirFlags flags) {
  std::string out;
  for (size_t i = 0; i < kLetters.size(); ++i)
    if (flags & (1u << i)) out += kLetters[i];
  return out;
}

std::string maildir_info_letters(std::string_view name) {
  MaildirFilename parsed = parse_maildir_filename(name);
  std::string out = maildir_flag_letters(parsed.flags);
  for (char c : parsed.keywords)
    if (c >= 'a' && c <= 'z') out += c;
  return out;
}

std::string format_maildir_filename(std::string_view base, MaildirFlags flags, std::string_view keywords) {
  std::string kw;
  for (char c : keywords)
    if (kLetters.find(c) == std::string_view::npos && c != ',' && c != ':') kw += c;
  std::sort(kw.begin(), kw.end());
  kw.erase(std::unique(kw.begin(), kw.end()), kw.end());
  std::string out(base);
  out += ":2,";
  out += maildir_flag_letters(flags);
  out += kw;
  return out;
}

namespace {

// (seconds, microseconds) from "SECONDS.M<usec>..." or "SECONDS.<anything>";
// nullopt when the name does not start with digits and a dot.
std::optional<std::pair<uint64_t, uint64_t>> name_time(std::string_view n) {
  auto number = [&](size_t& i) -> std::optional<uint64_t> {
    size_t start = i;
    uint64_t v = 0;
    while (i < n.size() && n[i] >= '0' && n[i] <= '9' && i - start < 19) v = v * 10 + static_cast<uint64_t>(n[i++] - '0');
    if (i == start) return std::nullopt;
    return v;
  };
  size_t i = 0;
  auto sec = number(i);
  if (!sec || i >= n.size() || n[i] != '.') return std::nullopt;
  ++i;
  uint64_t usec = 0;
  if (i < n.size() && n[i] == 'M') {
    ++i;
    if (auto u = number(i)) usec = *u;
  }
  return std::pair{*sec, usec};
}

}  // namespace

bool delivered_before(std::string_view a, std::string_view b) {
  auto ta = name_time(a), tb = name_time(b);
  if (ta && tb && *ta != *tb) return *ta < *tb;
  if (ta.has_value() != tb.has_value()) return ta.has_value();
  return a < b;
}

}  // namespace tern::store
