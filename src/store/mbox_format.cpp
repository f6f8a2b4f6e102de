// The bytes of an mbox entry: the From_ separator line and mboxrd quoting,
// which readers undo by removing one '>' from lines matching ^>+From .
// Kept apart from the file handling so it can be tested and fuzzed alone.
#include <fmt/format.h>

#include "store/mbox.h"

namespace tern::store {
namespace {

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr std::string_view kFrom = "From ";

}  // namespace

// A line's leading '>'s are passed on as they come: one more '>' put in
// front of them, when the line turns out to match, gives the same bytes as
// one put anywhere among them. Only a beginning of "From " is held back.
void MboxQuoter::feed(std::string_view in, std::string& out) {
  if (!in.empty()) last_ = in.back(), any_ = true;
  size_t pos = 0;
  while (pos < in.size()) {
    if (mid_line_) {
      size_t nl = in.find('\n', pos);
      size_t end = nl == std::string_view::npos ? in.size() : nl + 1;
      out.append(in.substr(pos, end - pos));
      pos = end;
      if (nl != std::string_view::npos) mid_line_ = false;
      continue;
    }
    char c = in[pos++];
    if (held_.empty() && c == '>') {
      out += c;
      continue;
    }
    held_ += c;
    if (kFrom.starts_with(held_)) {
      if (held_.size() < kFrom.size()) continue;
      out += '>';
      out += held_;
      held_.clear();
      mid_line_ = true;
      continue;
    }
    out += held_;
    held_.clear();
    mid_line_ = c != '\n';
  }
}

void MboxQuoter::finish(std::string& out) {
  out += held_;
  held_.clear();
  if (any_ && last_ != '\n') out += '\n';
  out += '\n';
  mid_line_ = false;
}

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
  std::string out = mbox_from_line(sender, t);
  out.reserve(out.size() + prefix.size() + message.size() + message.size() / 64 + 2);
  MboxQuoter q;  // prefix and message quoted as one text: a line may span both
  q.feed(prefix, out);
  q.feed(message, out);
  q.finish(out);
  return out;
}

}  // namespace tern::store
