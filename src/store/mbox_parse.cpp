// The mbox reader (see mbox_parse.h): a chunked line reader and one pass
// over the lines that finds the messages, their state headers and the
// sizes they are shown with.
#include "store/mbox_parse.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <ctime>

#include "base/strings.h"
#include "store/keywords.h"

namespace tern::store {
namespace {

constexpr size_t kChunk = 64 * 1024;

struct Line {
  uint64_t off = 0;
  uint64_t len = 0;       // with its '\n'
  std::string_view head;  // its first min(len, kMboxMaxLine) bytes
  bool nl = false;        // ends in '\n' (only the file's last line may not)
  bool cr = false;        // "\r\n"
};

// Lines of the first `size` bytes, read kChunk at a time; a line longer
// than kMboxMaxLine is read through, keeping only its start.
class LineReader {
 public:
  LineReader(uint64_t size, const MboxRead& read, uint64_t start = 0)
      : size_(size), read_(read), buf_off_(start) {}

  // False at the end or on a read error (failed() tells).
  bool next(Line& l) {
    for (;;) {
      size_t nl = buf_.find('\n', start_);
      if (nl != std::string::npos && nl - start_ < kMboxMaxLine) return take(l, nl + 1 - start_, true);
      if (buf_.size() - start_ >= kMboxMaxLine) return take_long(l);
      if (eof_) {
        if (start_ == buf_.size()) return false;
        return take(l, buf_.size() - start_, false);
      }
      if (!fill()) return false;
    }
  }
  bool failed() const { return failed_; }

 private:
  bool fill() {
    if (start_ > 0) {
      buf_.erase(0, start_);
      buf_off_ += start_;
      start_ = 0;
    }
    uint64_t at = buf_off_ + buf_.size();
    if (at >= size_) {
      eof_ = true;
      return true;
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, size_ - at));
    size_t old = buf_.size();
    buf_.resize(old + want);
    ssize_t n = read_(at, buf_.data() + old, want);
    if (n < 0) {
      failed_ = true;
      return false;
    }
    buf_.resize(old + static_cast<size_t>(n));
    if (n == 0) eof_ = true;  // shorter than it said: the end
    return true;
  }
  bool take(Line& l, size_t len, bool nl) {
    l.off = buf_off_ + start_;
    l.len = len;
    l.head = std::string_view(buf_).substr(start_, len);
    l.nl = nl;
    l.cr = nl && len >= 2 && buf_[start_ + len - 2] == '\r';
    start_ += len;
    return true;
  }
  // A line of kMboxMaxLine bytes or more: keep its start, skip to its end.
  bool take_long(Line& l) {
    long_.assign(buf_, start_, kMboxMaxLine);
    l.off = buf_off_ + start_;
    l.head = long_;
    start_ += kMboxMaxLine;
    uint64_t len = kMboxMaxLine;
    char last = long_.back(), before = 0;
    for (;;) {
      size_t nl = buf_.find('\n', start_);
      if (nl != std::string::npos) {
        len += nl + 1 - start_;
        before = nl > start_ ? buf_[nl - 1] : last;
        start_ = nl + 1;
        l.nl = true;
        break;
      }
      len += buf_.size() - start_;
      if (buf_.size() > start_) last = buf_.back();
      start_ = buf_.size();
      if (eof_) {
        l.nl = false;
        break;
      }
      if (!fill()) return false;
    }
    l.len = len;
    l.cr = l.nl && before == '\r';
    return true;
  }

  uint64_t size_;
  const MboxRead& read_;
  std::string buf_;
  std::string long_;
  uint64_t buf_off_ = 0;
  size_t start_ = 0;
  bool eof_ = false, failed_ = false;
};

bool is_blank(std::string_view l) { return l == "\n" || l == "\r\n"; }

bool is_quoted_from(std::string_view l) {
  size_t i = 0;
  while (i < l.size() && l[i] == '>') ++i;
  return i > 0 && l.substr(i, 5) == "From ";
}

// The header's name if line is "Name:..." with a state header's name.
enum class State { none, imapbase, imap, uid, status, xstatus, keywords, content_length };

State state_of(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon > 14) return State::none;
  std::string_view name = line.substr(0, colon);
  if (str::iequals(name, "X-IMAPbase")) return State::imapbase;
  if (str::iequals(name, "X-IMAP")) return State::imap;
  if (str::iequals(name, "X-UID")) return State::uid;
  if (str::iequals(name, "Status")) return State::status;
  if (str::iequals(name, "X-Status")) return State::xstatus;
  if (str::iequals(name, "X-Keywords")) return State::keywords;
  if (str::iequals(name, "Content-Length")) return State::content_length;  // Dovecot hides it too
  return State::none;
}

bool parse_u32(std::string_view s, uint32_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '\n') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

void add_keyword(std::vector<std::string>& list, std::string_view k) {
  if (!keyword_ok(k) || list.size() >= kMaxKeywords) return;
  for (const auto& have : list)
    if (str::iequals(have, k)) return;
  list.emplace_back(k);
}

// What one message's state headers said.
struct Meta {
  bool uid_seen = false, status_seen = false, xstatus_seen = false, keywords_seen = false;
};

void read_state(State s, std::string_view value, MboxEntry& e, Meta& m, MboxIndex* first) {
  switch (s) {
    case State::imapbase: {
      if (!first || first->has_base) return;
      auto w = words(value);
      uint32_t v = 0, next = 0;
      if (w.size() < 2 || !parse_u32(w[0], v) || !parse_u32(w[1], next) || v == 0 || next > kMboxMaxUid + 1) return;
      first->has_base = true;
      first->base.uidvalidity = v;
      first->base.uidnext = next == 0 ? 1 : next;
      for (size_t i = 2; i < w.size(); ++i) add_keyword(first->base.keywords, w[i]);
      return;
    }
    case State::uid: {
      if (m.uid_seen) return;
      m.uid_seen = true;
      auto w = words(value);
      uint32_t u = 0;
      if (w.size() == 1 && parse_u32(w[0], u) && u > 0 && u <= kMboxMaxUid) e.uid = u;
      return;
    }
    case State::status:
      if (m.status_seen) return;
      m.status_seen = true;
      for (char c : value) {
        if (c == 'R') e.flags |= kFlagSeen;
        if (c == 'O') e.seen_status = true;
      }
      return;
    case State::xstatus:
      if (m.xstatus_seen) return;
      m.xstatus_seen = true;
      for (char c : value) {
        if (c == 'A') e.flags |= kFlagAnswered;
        if (c == 'D') e.flags |= kFlagDeleted;
        if (c == 'F') e.flags |= kFlagFlagged;
        if (c == 'T') e.flags |= kFlagDraft;
      }
      return;
    case State::keywords:
      if (m.keywords_seen) return;
      m.keywords_seen = true;
      for (auto w : words(value)) add_keyword(e.keywords, w);
      return;
    default:
      return;
  }
}

uint64_t crlf_len(const Line& l) { return l.len + (l.nl && !l.cr ? 1 : 0); }

}  // namespace

bool mbox_state_header(std::string_view line) { return state_of(line) != State::none; }

namespace {

// The date of a From_ line, if it has one that reads as a date.
std::optional<int64_t> from_line_date(std::string_view line) {
  if (line.size() > 1024) return std::nullopt;
  auto w = words(line);
  // From sender Www Mmm dd hh:mm:ss yyyy [zone]: find the hh:mm:ss word.
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (size_t i = 3; i + 1 < w.size(); ++i) {
    std::string_view t = w[i];
    if (t.size() != 8 || t[2] != ':' || t[5] != ':') continue;
    struct tm tm = {};
    uint32_t mday = 0, year = 0, h = 0, mi = 0, s = 0;
    int mon = -1;
    for (int k = 0; k < 12; ++k)
      if (w[i - 2] == kMonths[k]) mon = k;
    if (mon < 0 || !parse_u32(w[i - 1], mday) || !parse_u32(w[i + 1], year) || !parse_u32(t.substr(0, 2), h) ||
        !parse_u32(t.substr(3, 2), mi) || !parse_u32(t.substr(6, 2), s) || year < 1970 || year > 9999 || mday < 1 ||
        mday > 31 || h > 23 || mi > 59 || s > 60)
      return std::nullopt;
    tm.tm_year = static_cast<int>(year) - 1900;
    tm.tm_mon = mon;
    tm.tm_mday = static_cast<int>(mday);
    tm.tm_hour = static_cast<int>(h);
    tm.tm_min = static_cast<int>(mi);
    tm.tm_sec = static_cast<int>(s);
    tm.tm_isdst = -1;
    std::time_t r = std::mktime(&tm);
    return r < 0 ? 0 : static_cast<int64_t>(r);
  }
  return std::nullopt;
}

}  // namespace

int64_t mbox_from_date(std::string_view line) { return from_line_date(line).value_or(0); }

Result<MboxIndex> parse_mbox(uint64_t size, const MboxRead& read) {
  MboxIndex idx;
  LineReader lines(size, read);
  Line l;
  MboxEntry cur;
  Meta meta;
  bool have = false, in_header = false, hidden = false, pending_blank = false;
  uint64_t blank_off = 0, blank_len = 0;
  uint32_t last_uid = 0;
  auto finish = [&](uint64_t end, uint64_t next) {
    cur.end_off = end;
    if (cur.body_off == 0 || cur.body_off > end) cur.body_off = end;
    cur.next_off = next;
    if (cur.uid != 0 && cur.uid <= last_uid) cur.uid = 0;  // not ascending: renumber
    if (cur.uid != 0) last_uid = cur.uid;
    idx.entries.push_back(std::move(cur));
    cur = MboxEntry{};
    meta = Meta{};
  };
  bool first = true;
  while (lines.next(l)) {
    // A separator: "From " at the file's start, after a blank line, or
    // anywhere with a sender and date as a From_ line has (Dovecot and mutt
    // accept those; a body line "From here on" has no date).
    bool from = l.head.starts_with("From ") && (first || pending_blank || from_line_date(l.head).has_value());
    if (first && !from) return Error::temp("not an mbox file: it does not start with a From_ line");
    first = false;
    if (from) {
      if (have) finish(pending_blank ? blank_off : l.off, l.off);
      have = true;
      cur.from_off = l.off;
      cur.header_off = l.off + l.len;
      cur.internal_date_s = mbox_from_date(l.head);
      in_header = true;
      hidden = false;
      pending_blank = false;
      continue;
    }
    if (pending_blank) {  // the blank line was content after all
      cur.size += blank_len;
      cur.crlf_size += 2;
      pending_blank = false;
    }
    if (is_blank(l.head)) {
      if (in_header) cur.body_off = l.off;
      in_header = false;
      pending_blank = true;
      blank_off = l.off;
      blank_len = l.len;
      continue;
    }
    uint64_t shown = l.len, shown_crlf = crlf_len(l);
    if (in_header) {
      if (l.head[0] == ' ' || l.head[0] == '\t') {
        if (hidden) shown = shown_crlf = 0;
      } else {
        State s = state_of(l.head);
        hidden = s != State::none;
        if (hidden) {
          shown = shown_crlf = 0;
          if (l.len <= kMboxMaxMetaLine && l.nl)
            read_state(s, l.head.substr(l.head.find(':') + 1), cur, meta, idx.entries.empty() ? &idx : nullptr);
        }
      }
    } else if (is_quoted_from(l.head)) {
      --shown;
      --shown_crlf;
    }
    cur.size += shown;
    cur.crlf_size += shown_crlf;
  }
  if (lines.failed()) return Error::temp("reading the mbox file failed");
  uint64_t end = l.off + l.len;
  if (have) finish(pending_blank ? blank_off : end, end);
  idx.size = have ? end : 0;
  return idx;
}

Status mbox_filter_header(uint64_t from, uint64_t to, const MboxRead& read,
                          const std::function<Status(std::string_view)>& sink) {
  LineReader lines(to, read, from);
  Line l;
  bool hidden = false;
  while (lines.next(l)) {
    if (l.head[0] == ' ' || l.head[0] == '\t') {
      if (hidden) continue;
    } else {
      hidden = mbox_state_header(l.head);
      if (hidden) continue;
    }
    if (l.len <= kMboxMaxLine) {
      if (Status st = sink(l.head); !st) return st;
    } else {
      // A giant header line: copied through in chunks.
      std::string chunk(kChunk, '\0');
      for (uint64_t at = l.off; at < l.off + l.len;) {
        ssize_t n = read(at, chunk.data(), static_cast<size_t>(std::min<uint64_t>(kChunk, l.off + l.len - at)));
        if (n <= 0) return Error::temp("reading the mbox file failed");
        if (Status st = sink(std::string_view(chunk.data(), static_cast<size_t>(n))); !st) return st;
        at += static_cast<uint64_t>(n);
      }
    }
    if (!l.nl)
      if (Status st = sink("\n"); !st) return st;
  }
  if (lines.failed()) return Error::temp("reading the mbox file failed");
  return ok_status();
}

std::string mbox_present(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  bool in_header = true, hidden = false;
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t nl = raw.find('\n', pos);
    size_t end = nl == std::string_view::npos ? raw.size() : nl + 1;
    std::string_view line = raw.substr(pos, end - pos);
    pos = end;
    if (is_blank(line)) {
      in_header = false;
      out += line;
      continue;
    }
    if (in_header) {
      if (line[0] == ' ' || line[0] == '\t') {
        if (hidden) continue;
      } else {
        hidden = mbox_state_header(line.substr(0, std::min(line.size(), kMboxMaxLine)));
        if (hidden) continue;
      }
      out += line;
    } else if (is_quoted_from(line.substr(0, std::min(line.size(), kMboxMaxLine)))) {
      out += line.substr(1);
    } else {
      out += line;
    }
  }
  return out;
}

std::string mbox_meta_headers(const MboxEntry& e, const MboxBase* base) {
  std::string out;
  if (base) {
    out += fmt::format("X-IMAPbase: {} {:010}", base->uidvalidity, base->uidnext);
    for (const auto& k : base->keywords) out += " " + k;
    out += "\n";
  }
  out += fmt::format("X-UID: {}\n", e.uid);
  out += (e.flags & kFlagSeen) ? "Status: RO\n" : "Status: O\n";
  std::string x;
  if (e.flags & kFlagAnswered) x += 'A';
  if (e.flags & kFlagDeleted) x += 'D';
  if (e.flags & kFlagFlagged) x += 'F';
  if (e.flags & kFlagDraft) x += 'T';
  if (!x.empty()) out += "X-Status: " + x + "\n";
  if (!e.keywords.empty()) {
    out += "X-Keywords:";
    for (const auto& k : e.keywords) out += " " + k;
    out += "\n";
  }
  return out;
}

}  // namespace tern::store
