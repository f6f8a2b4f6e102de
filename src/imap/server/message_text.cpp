// Raw-byte message views for FETCH and SEARCH (see message_text.h).
#include "imap/server/message_text.h"

#include <ctime>
#include <utility>

#include "base/crlf.h"
#include "imap/proto/chars.h"

namespace tern::imap {
namespace {

constexpr const char* kMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int month_of(std::string_view m) {
  for (int i = 0; i < 12; ++i)
    if (iequals(m, kMonths[i])) return i + 1;
  return 0;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Calls f(name, whole field with its CRLFs) for each field of the header.
template <class F>
void each_field(std::string_view header, F&& f) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = pos;
    // A field runs to the CRLF not followed by a space or tab.
    for (;;) {
      size_t lf = header.find('\n', end);
      if (lf == std::string_view::npos) {
        end = header.size();
        break;
      }
      end = lf + 1;
      if (end >= header.size() || (header[end] != ' ' && header[end] != '\t')) break;
    }
    std::string_view field = header.substr(pos, end - pos);
    pos = end;
    if (field == "\r\n" || field == "\n") continue;  // the blank line
    size_t colon = field.find(':');
    std::string_view name = colon == std::string_view::npos ? std::string_view{} : field.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    f(name, field, colon);
  }
}

int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool two_digits(std::string_view s, size_t at, int& out) {
  if (at + 2 > s.size() || !is_digit(s[at]) || !is_digit(s[at + 1])) return false;
  out = (s[at] - '0') * 10 + (s[at + 1] - '0');
  return true;
}

}  // namespace

std::string to_crlf(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + crlf::bare_lf_count(bytes));
  crlf::append(out, bytes);
  return out;
}

std::string to_lf(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') continue;
    out += bytes[i];
  }
  return out;
}

std::string LfStream::convert(std::string_view piece) {
  std::string out;
  if (piece.empty()) return out;
  out.reserve(piece.size() + 1);
  if (held_cr_ && piece.front() != '\n') out += '\r';
  held_cr_ = piece.back() == '\r';
  if (held_cr_) piece.remove_suffix(1);
  out += to_lf(piece);
  return out;
}

std::string LfStream::finish() { return std::exchange(held_cr_, false) ? "\r" : ""; }

uint64_t crlf_size(std::string_view bytes) { return bytes.size() + crlf::bare_lf_count(bytes); }

std::string_view header_of(std::string_view msg) {
  if (msg.starts_with("\r\n")) return msg.substr(0, 2);
  size_t p = msg.find("\r\n\r\n");
  return p == std::string_view::npos ? msg : msg.substr(0, p + 4);
}

std::string_view text_of(std::string_view msg) { return msg.substr(header_of(msg).size()); }

std::string header_fields(std::string_view header, const std::vector<std::string>& names, bool exclude) {
  std::string out;
  each_field(header, [&](std::string_view name, std::string_view field, size_t) {
    bool listed = false;
    for (const auto& n : names)
      if (iequals(n, name)) listed = true;
    if (listed != exclude && !name.empty()) out += field;
  });
  out += "\r\n";
  return out;
}

std::optional<std::string> header_values(std::string_view header, std::string_view wanted) {
  std::optional<std::string> out;
  each_field(header, [&](std::string_view name, std::string_view field, size_t colon) {
    if (name.empty() || !iequals(name, wanted)) return;
    std::string v;
    for (char c : field.substr(colon + 1))
      if (c != '\r' && c != '\n') v += c;
    if (out) *out += "\r\n" + v;
    else out = std::move(v);
  });
  return out;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && lower(hay[i + j]) == lower(needle[j])) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

std::optional<int64_t> parse_date_time(std::string_view s) {
  // date-day-fixed "-" date-month "-" date-year SP time SP zone
  if (s.size() != 26 || s[2] != '-' || s[6] != '-' || s[11] != ' ' || s[14] != ':' || s[17] != ':' || s[20] != ' ')
    return std::nullopt;
  int day = 0, y1 = 0, y2 = 0, hh = 0, mm = 0, ss = 0, zh = 0, zm = 0;
  if (s[0] == ' ') {
    if (!is_digit(s[1])) return std::nullopt;
    day = s[1] - '0';
  } else if (!two_digits(s, 0, day)) {
    return std::nullopt;
  }
  int month = month_of(s.substr(3, 3));
  if (month == 0 || !two_digits(s, 7, y1) || !two_digits(s, 9, y2) || !two_digits(s, 12, hh) ||
      !two_digits(s, 15, mm) || !two_digits(s, 18, ss) || (s[21] != '+' && s[21] != '-') || !two_digits(s, 22, zh) ||
      !two_digits(s, 24, zm))
    return std::nullopt;
  int year = y1 * 100 + y2;
  static constexpr int kDays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day < 1 || day > kDays[month - 1] || (month == 2 && day == 29 && !leap) || hh > 23 || mm > 59 || ss > 60 ||
      zm > 59)
    return std::nullopt;
  int64_t t = days_from_civil(year, month, day) * 86400 + hh * 3600 + mm * 60 + ss;
  int64_t zone = (zh * 60 + zm) * 60;
  return s[21] == '+' ? t - zone : t + zone;
}

std::string format_date_time(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[64];
  snprintf(buf, sizeof buf, "%02d-%s-%04d %02d:%02d:%02d +0000", tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900,
           tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<CivilDate> parse_rfc5322_date(std::string_view v) {
  // [day-of-week ","] day month year ...: take the first three words after any comma.
  if (size_t comma = v.find(','); comma != std::string_view::npos && comma < 12) v.remove_prefix(comma + 1);
  std::string_view words[3];
  size_t pos = 0;
  for (auto& w : words) {
    while (pos < v.size() && (v[pos] == ' ' || v[pos] == '\t')) ++pos;
    size_t start = pos;
    while (pos < v.size() && v[pos] != ' ' && v[pos] != '\t') ++pos;
    w = v.substr(start, pos - start);
  }
  uint64_t day = 0, year = 0;
  int month = month_of(words[1]);
  if (!parse_uint(words[0], 31, day) || day == 0 || month == 0 || !parse_uint(words[2], 9999, year))
    return std::nullopt;
  if (year < 50) year += 2000;
  else if (year < 1000) year += 1900;
  return CivilDate{static_cast<int>(year), month, static_cast<int>(day)};
}

CivilDate civil_date(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  return {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

}  // namespace tern::imap
