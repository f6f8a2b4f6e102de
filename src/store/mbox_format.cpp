// The bytes of an mbox entry: the From_ separator line and mboxrd quoting,
// which readers undo by removing one '>' from lines matching ^>+From .
// Kept apart from the file handling so it can be tested and fuzzed alone.
#include <fmt/format.h>

#include "store/mbox.h"

namespace tern::store {
namespace {

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// True if line (from its start) matches ^>*From .
bool needs_quote(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] == '>') ++i;
  return line.substr(i, 5) == "From ";
}

void append_quoted(std::string& out, std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(pos, end - pos);
    if (needs_quote(line)) out += '>';
    out += line;
    pos = end;
  }
}

}  // namespace

std::string mbox_from_line(std::string_view sender, std::time_t t) {
  std::string who;
  if (sender.empty() || sender == "<>") {
    who = "MAILER-DAEMON";
  } else {
    who.reserve(sender.size());
    for (unsigned char c : sender) who += (c <= 0x20 || c == 0x7f) ? '_' : static_cast<char>(c);
  }
  struct tm tm = {};
  if (!::localtime_r(&t, &tm)) ::gmtime_r(&t, &tm);
  return fmt::format("From {} {} {} {:2} {:02}:{:02}:{:02} {}\n", who, kDays[tm.tm_wday % 7], kMonths[tm.tm_mon % 12],
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

std::string mbox_entry(std::string_view sender, std::time_t t, std::string_view prefix, std::string_view message) {
  std::string body;
  body.reserve(prefix.size() + message.size());
  body.append(prefix).append(message);  // quoted as one text: a line may span both
  std::string out = mbox_from_line(sender, t);
  out.reserve(out.size() + body.size() + body.size() / 64 + 2);
  append_quoted(out, body);
  if (!body.empty() && body.back() != '\n') out += '\n';
  out += '\n';
  return out;
}

}  // namespace tern::store
