// The SMTP client's reply parser; see reply_parser.h for the contract and
// the limits.
#include "smtp/proto/reply_parser.h"

namespace tern::smtp {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// Length of an RFC 3463 status code ("5.1.1") at the start of text whose
// class matches the reply code's first digit and which is followed by a
// space or the end; 0 if there is none. A status whose class disagrees with
// the reply code is left in the text (RFC 2034 requires them to agree; the
// reply code is what counts).
size_t enhanced_length(std::string_view t, char code_class) {
  if (t.size() < 5 || t[0] != code_class || t[1] != '.') return 0;
  size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    size_t start = i;
    while (i < t.size() && digit(t[i]) && i - start < 4) ++i;
    if (i == start || i - start > 3) return 0;
    if (part == 0) {
      if (i >= t.size() || t[i] != '.') return 0;
      ++i;
    }
  }
  if (i < t.size() && t[i] != ' ') return 0;
  return i;
}

}  // namespace

std::string_view reply_error_text(ReplyError e) {
  switch (e) {
    case ReplyError::none:
      return "no error";
    case ReplyError::bad_code:
      return "malformed reply: no valid reply code";
    case ReplyError::bad_separator:
      return "malformed reply: bad separator after the reply code";
    case ReplyError::code_mismatch:
      return "malformed reply: lines of a multi-line reply carry different codes";
    case ReplyError::too_many_lines:
      return "reply has too many lines";
    case ReplyError::too_long:
      return "reply is too long";
  }
  return "malformed reply";
}

void ReplyParser::feed(std::string_view bytes) {
  if (err_ != ReplyError::none) return;  // out of step: nothing more is read
  buf_.append(bytes.data(), bytes.size());
}

void ReplyParser::clear() {
  buf_.clear();
  pos_ = 0;
  in_line_ = false;
  line_head_.clear();
  line_raw_ = 0;
  reset_reply();
}

void ReplyParser::reset_reply() {
  cur_ = Reply();
  cur_.lines.clear();
  lines_ = 0;
  reply_bytes_ = 0;
  truncated_ = false;
  sanitized_ = false;
}

void ReplyParser::compact() {
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 4096 && pos_ * 2 > buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

ReplyParser::Next ReplyParser::fail(ReplyError e) {
  err_ = e;
  buf_.clear();
  pos_ = 0;
  in_line_ = false;
  line_head_.clear();
  reset_reply();
  Next n;
  n.kind = Kind::error;
  n.error = e;
  return n;
}

ReplyParser::Next ReplyParser::next() {
  if (err_ != ReplyError::none) {
    Next n;
    n.kind = Kind::error;
    n.error = err_;
    return n;
  }
  for (;;) {
    std::string_view rest = std::string_view(buf_).substr(pos_);
    size_t lf = rest.find('\n');
    if (lf == std::string_view::npos) {
      // Keep at most one line's worth (plus its CR) of an unfinished line.
      size_t keep = lim_.max_line_bytes + 1;
      if (in_line_ || rest.size() > keep) {
        if (!in_line_) {
          in_line_ = true;
          line_head_.assign(rest.substr(0, lim_.max_line_bytes));
          line_raw_ = 0;
        }
        line_raw_ += rest.size();
        pos_ = buf_.size();
        compact();
        if (reply_bytes_ + line_raw_ > lim_.max_reply_bytes) return fail(ReplyError::too_long);
      }
      return {};
    }
    std::string line;
    size_t raw = lf + 1;
    bool cut = false;
    if (in_line_) {
      line = std::move(line_head_);
      raw += line_raw_;
      cut = true;
      in_line_ = false;
      line_head_.clear();
      line_raw_ = 0;
    } else {
      std::string_view l = rest.substr(0, lf);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (l.size() > lim_.max_line_bytes) {
        l = l.substr(0, lim_.max_line_bytes);
        cut = true;
      }
      line.assign(l);
    }
    pos_ += lf + 1;
    if (cut) truncated_ = true;
    bool final = false;
    ReplyError e = ReplyError::none;
    reply_bytes_ += raw;
    if (reply_bytes_ > lim_.max_reply_bytes)
      e = ReplyError::too_long;
    else if (++lines_ > lim_.max_reply_lines)
      e = ReplyError::too_many_lines;
    else
      final = add_line(line, e);
    if (e != ReplyError::none) return fail(e);
    if (final) {
      Next n;
      n.kind = Kind::reply;
      n.reply = std::move(cur_);
      n.truncated = truncated_;
      n.sanitized = sanitized_;
      reset_reply();
      compact();
      return n;
    }
  }
}

bool ReplyParser::add_line(std::string_view line, ReplyError& e) {
  if (line.size() < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2]) || line[0] < '2' || line[0] > '5') {
    e = ReplyError::bad_code;
    return false;
  }
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (lines_ > 1 && code != cur_.code) {
    e = ReplyError::code_mismatch;
    return false;
  }
  cur_.code = code;
  bool final = true;
  std::string_view text;
  if (line.size() > 3) {
    if (line[3] == '-')
      final = false;
    else if (line[3] != ' ') {
      e = ReplyError::bad_separator;
      return false;
    }
    text = line.substr(4);
  }
  if (lines_ == 1) {
    size_t n = enhanced_length(text, line[0]);
    if (n) cur_.enhanced.assign(text.substr(0, n));
  }
  // Continuation lines usually repeat the status; strip it where it does.
  if (!cur_.enhanced.empty() && text.substr(0, cur_.enhanced.size()) == cur_.enhanced &&
      (text.size() == cur_.enhanced.size() || text[cur_.enhanced.size()] == ' ')) {
    text.remove_prefix(cur_.enhanced.size());
    if (!text.empty()) text.remove_prefix(1);
  }
  std::string clean;
  clean.reserve(text.size());
  for (unsigned char c : text) {
    if (c == '\t') {
      clean += ' ';
    } else if (c < 0x20 || c == 0x7f) {
      clean += '?';
      sanitized_ = true;
    } else {
      clean += static_cast<char>(c);
    }
  }
  cur_.lines.push_back(std::move(clean));
  return final;
}

std::string reply_summary(const Reply& r, size_t max_bytes) {
  std::string s = std::to_string(r.code);
  if (!r.enhanced.empty()) s += " " + r.enhanced;
  for (auto& l : r.lines) {
    if (s.size() > max_bytes) break;
    if (!l.empty()) s += " " + l;
  }
  for (auto& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  if (s.size() > max_bytes) {
    s.resize(max_bytes);
    s += "...";
  }
  return s;
}

}  // namespace tern::smtp
