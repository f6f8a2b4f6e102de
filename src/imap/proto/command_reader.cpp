// CommandReader: the IMAP command tokenizer and literal state machine
// (contract and SECURITY notes in command_reader.h).
#include "imap/proto/command_reader.h"

#include <algorithm>
#include <cstring>

#include "imap/proto/chars.h"

namespace tern::imap {

namespace {

// RFC 7888 section 4: LITERAL- allows non-synchronising literals up to 4096 bytes.
constexpr uint64_t kLiteralMinusMax = 4096;
// How much of a skipped line is remembered to spot a "{n+}" at its end.
constexpr size_t kSkipTailBytes = 32;

// Bytes of an atom outside a bracketed section: printable ASCII but for
// the characters that start or end other tokens.
bool is_atom_text(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && c != '(' && c != ')' && c != '{' && c != '"';
}

// "{123+}" / "~{5}" at the very end of a line: the literal it announces.
bool literal_at_end(std::string_view s, LiteralInfo& out, bool& overflow) {
  if (s.empty() || s.back() != '}') return false;
  size_t open = s.rfind('{');
  if (open == std::string_view::npos) return false;
  std::string_view digits = s.substr(open + 1, s.size() - open - 2);
  bool plus = !digits.empty() && digits.back() == '+';
  if (plus) digits.remove_suffix(1);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), is_digit)) return false;
  overflow = !parse_uint(digits, UINT64_MAX, out.size);
  if (overflow) out.size = UINT64_MAX;
  out.synchronising = !plus;
  out.binary = open > 0 && s[open - 1] == '~';
  return true;
}

}  // namespace

std::string ProtocolError::response() const {
  std::string t = tag.empty() ? "*" : tag;
  if (code == Code::too_big) return t + (close || bad || tag.empty() ? " BAD [TOOBIG] " : " NO [TOOBIG] ") + text + "\r\n";
  return t + " BAD " + text + "\r\n";
}

void CommandReader::reset_command() {
  cmd_ = Command{};
  in_command_ = false;
  need_sep_ = false;
  open_.clear();
  values_ = 0;
  command_bytes_ = 0;
  decision_ = Decision::keep;
  lit_nul_ = false;
}

std::string CommandReader::take_pending() {
  std::string rest = buf_.substr(pos_);
  clear();
  return rest;
}

void CommandReader::clear() {
  buf_.clear();
  pos_ = scanned_ = 0;
  reset_command();
  if (state_ != State::dead) state_ = State::line;
}

void CommandReader::compact() {
  if (pos_ > 0 && (pos_ >= buf_.size() || pos_ > 4096)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

std::vector<Value>& CommandReader::current_list() { return open_.empty() ? cmd_.args : open_.back()->items; }

bool CommandReader::add_value(Value v) {
  if (++values_ > limits_.max_values) return false;
  command_bytes_ += v.text.size();
  current_list().push_back(std::move(v));
  need_sep_ = true;
  return true;
}

CommandReader::Step CommandReader::fail(ProtocolError::Code code, std::string text) {
  err_ = ProtocolError{code, cmd_.tag, std::move(text), false};
  return Step::error;
}

// Called with one line (no line end) of the current command.
CommandReader::Step CommandReader::tokenize(std::string_view seg) {
  command_bytes_ += seg.size();
  if (command_bytes_ > limits_.max_command_bytes) return fail(ProtocolError::Code::line_too_long, "Command too long");
  if (in_command_) return parse_args(seg, 0);
  size_t i = 0;
  while (i < seg.size() && is_tag_char(seg[i])) ++i;
  if (i > 0 && i == seg.size()) {
    cmd_.tag.assign(seg);
    return fail(ProtocolError::Code::bad_syntax, "Missing command name");
  }
  if (i == 0 || seg[i] != ' ') return fail(ProtocolError::Code::bad_syntax, "Invalid tag");
  cmd_.tag.assign(seg.substr(0, i));
  size_t start = ++i;
  while (i < seg.size() && is_atom_char(seg[i])) ++i;
  if (i == start) return fail(ProtocolError::Code::bad_syntax, "Missing command name");
  cmd_.name = upper(seg.substr(start, i - start));
  in_command_ = true;
  if (i == seg.size()) return Step::done;
  if (seg[i] != ' ') return fail(ProtocolError::Code::bad_syntax, "Invalid command name");
  need_sep_ = false;
  return parse_args(seg, i);
}

CommandReader::Step CommandReader::parse_args(std::string_view seg, size_t i) {
  using C = ProtocolError::Code;
  while (i < seg.size()) {
    char c = seg[i];
    if (c == ' ') {
      need_sep_ = false;
      ++i;
      continue;
    }
    if (c == ')') {
      if (open_.empty()) return fail(C::bad_syntax, "Unexpected )");
      open_.pop_back();
      need_sep_ = true;
      ++i;
      continue;
    }
    if (need_sep_) return fail(C::bad_syntax, "Missing space between arguments");
    if (c == '(') {
      if (open_.size() >= limits_.max_depth) return fail(C::too_deep, "Too deeply nested");
      Value list;
      list.kind = Value::Kind::list;
      if (!add_value(std::move(list))) return fail(C::too_many_values, "Too many arguments");
      open_.push_back(&current_list().back());
      need_sep_ = false;
      ++i;
      continue;
    }
    if (c == '{' || (c == '~' && i + 1 < seg.size() && seg[i + 1] == '{')) return literal_header(seg, i);
    Value v;
    if (c == '"') {
      v.kind = Value::Kind::quoted;
      for (++i;; ++i) {
        if (i >= seg.size()) return fail(C::bad_syntax, "Unterminated quoted string");
        char q = seg[i];
        if (q == '"') break;
        if (q == '\0' || q == '\r' || q == '\n') return fail(C::bad_syntax, "Invalid character in quoted string");
        if (q == '\\') {
          if (i + 1 >= seg.size() || (seg[i + 1] != '\\' && seg[i + 1] != '"'))
            return fail(C::bad_syntax, "Invalid escape in quoted string");
          q = seg[++i];
        }
        v.text.push_back(q);
      }
      ++i;
    } else {
      // An atom, possibly with bracketed sections (BODY[HEADER.FIELDS (A B)]<0.5>).
      size_t start = i;
      while (i < seg.size() && seg[i] != ' ' && seg[i] != '(' && seg[i] != ')') {
        char a = seg[i];
        if (a == '[') {
          bool quoted = false;
          for (++i;; ++i) {
            if (i >= seg.size()) return fail(C::bad_syntax, "Missing ]");
            char b = seg[i];
            if (is_ctl(b) || static_cast<unsigned char>(b) >= 0x80) return fail(C::bad_syntax, "Invalid character");
            if (quoted) {
              if (b == '\\' && i + 1 < seg.size()) ++i;
              else if (b == '"') quoted = false;
            } else if (b == '"') {
              quoted = true;
            } else if (b == '[' || b == '{') {
              return fail(C::bad_syntax, "Invalid character in section");
            } else if (b == ']') {
              break;
            }
          }
          ++i;
          continue;
        }
        if (!is_atom_text(a)) return fail(C::bad_syntax, "Invalid character in atom");
        ++i;
      }
      v.text.assign(seg.substr(start, i - start));
      if (std::all_of(v.text.begin(), v.text.end(), is_digit) && parse_uint(v.text, UINT64_MAX, v.number))
        v.kind = Value::Kind::number;
      else if (iequals(v.text, "NIL"))
        v.kind = Value::Kind::nil;
    }
    if (!add_value(std::move(v))) return fail(C::too_many_values, "Too many arguments");
  }
  if (!open_.empty()) return fail(C::bad_syntax, "Missing )");
  return Step::done;
}

// "{n}", "{n+}", "~{n}" starting at seg[i]: must end the line.
CommandReader::Step CommandReader::literal_header(std::string_view seg, size_t i) {
  using C = ProtocolError::Code;
  bool overflow = false;
  lit_ = {};
  if (!literal_at_end(seg.substr(i), lit_, overflow) || seg.find('{', i) != seg.rfind('{'))
    return fail(C::bad_syntax, "Invalid literal");
  if (lit_.binary != (seg[i] == '~')) return fail(C::bad_syntax, "Invalid literal");
  if (values_ + 1 > limits_.max_values) return fail(C::too_many_values, "Too many arguments");
  return Step::literal;
}

// After an error: the rest of the command is skipped. line_tail is the end
// of the line the error was found in, when that line was already consumed;
// with skip_rest the line goes on, and skip_tail_ holds what of its end was
// already read (a "{n+}" may end just after it).
Event CommandReader::error_event(bool skip_rest, std::string_view line_tail) {
  Event e;
  e.kind = Event::Kind::error;
  e.error = err_;
  reset_command();
  if (skip_rest) {
    state_ = State::skip_line;
  } else {
    after_skipped_line(line_tail);
    // Dead: a literal too big to skip. If that is this error, it closes;
    // else (a line too long) the next event says so, as when the line
    // comes in pieces.
    if (state_ == State::dead && e.error.code == ProtocolError::Code::too_big) e.error.close = true;
  }
  return e;
}

// A skipped line ended: if it announced a non-synchronising literal, its
// bytes are discarded too; a synchronising one is never sent (no "+").
void CommandReader::after_skipped_line(std::string_view tail) {
  LiteralInfo li;
  bool overflow = false;
  state_ = State::line;
  if (!literal_at_end(tail, li, overflow) || li.synchronising) return;
  if (li.size > limits_.max_literal_bytes) {
    // Told as an error of its own after the one that skipped the line,
    // however the bytes arrived (whole, or the line in pieces).
    err_ = ProtocolError{ProtocolError::Code::too_big, "", "Literal too big", true};
    state_ = State::dead;
    return;
  }
  remaining_ = li.size;
  state_ = State::literal_discard;
}

Event CommandReader::next() {
  using C = ProtocolError::Code;
  for (;;) {
    compact();
    switch (state_) {
      case State::dead: {
        Event e;
        e.kind = Event::Kind::error;
        e.error = err_;
        e.error.close = true;
        return e;
      }
      case State::line: {
        const char* base = buf_.data() + pos_;
        size_t avail = buf_.size() - pos_;
        const void* lf = std::memchr(base + scanned_, '\n', avail - scanned_);
        if (!lf) {
          scanned_ = avail;
          if (avail <= limits_.max_line_bytes + 1) return {};
          // Too long and no end in sight: answer now, skip the rest.
          std::string_view head(base, avail);
          size_t t = 0;
          while (t < head.size() && is_tag_char(head[t])) ++t;
          err_ = ProtocolError{C::line_too_long, !in_command_ && t > 0 && t < head.size() && head[t] == ' '
                                                     ? std::string(head.substr(0, t)) : cmd_.tag,
                               "Command line too long", false};
          skip_tail_.assign(head.substr(avail - std::min(avail, kSkipTailBytes)));
          pos_ = buf_.size();
          scanned_ = 0;
          return error_event(true, {});
        }
        size_t len = static_cast<size_t>(static_cast<const char*>(lf) - base);
        std::string_view seg(base, len);
        if (!seg.empty() && seg.back() == '\r') seg.remove_suffix(1);
        pos_ += len + 1;
        scanned_ = 0;
        if (seg.size() > limits_.max_line_bytes) {
          std::string tail(seg.substr(seg.size() - kSkipTailBytes));
          size_t t = 0;
          while (t < seg.size() && is_tag_char(seg[t])) ++t;
          err_ = ProtocolError{C::line_too_long, !in_command_ && t > 0 && seg[t] == ' '
                                                     ? std::string(seg.substr(0, t)) : cmd_.tag,
                               "Command line too long", false};
          return error_event(false, tail);
        }
        if (seg.empty() && !in_command_) continue;  // an empty line is no command: ignored
        std::string tail(seg.substr(seg.size() - std::min(seg.size(), kSkipTailBytes)));
        Step s = tokenize(seg);
        if (s == Step::error) return error_event(false, tail);
        if (s == Step::done) {
          Event e;
          e.kind = Event::Kind::command;
          e.command = std::move(cmd_);
          reset_command();
          return e;
        }
        // A literal was announced.
        if (!lit_.synchronising && !limits_.literal_plus &&
            !(limits_.literal_minus && lit_.size <= kLiteralMinusMax)) {
          err_ = ProtocolError{limits_.literal_minus ? C::too_big : C::bad_syntax, cmd_.tag,
                               limits_.literal_minus ? "Non-synchronizing literal over 4096 bytes"
                                                     : "Non-synchronizing literals are not supported",
                               false, true};
          return error_event(false, tail);
        }
        if (lit_.size > limits_.max_literal_bytes) {
          err_ = ProtocolError{C::too_big, cmd_.tag, "Literal too big", false};
          return error_event(false, tail);
        }
        state_ = State::decide;
        decision_ = Decision::keep;
        Event e;
        e.kind = Event::Kind::literal;
        e.literal = lit_;
        return e;
      }
      case State::decide: {
        Decision d = decision_;
        decision_ = Decision::keep;
        std::string tail = lit_.synchronising ? "" : "{" + std::to_string(lit_.size) + "+}";
        if (d == Decision::refuse) {
          reset_command();
          after_skipped_line(tail);
          continue;
        }
        if (d == Decision::keep && (lit_.size > limits_.max_buffered_literal_bytes ||
                                    command_bytes_ + lit_.size > limits_.max_command_bytes)) {
          err_ = ProtocolError{C::too_big, cmd_.tag, "Literal too big", false};
          return error_event(false, tail);
        }
        lit_stream_ = d == Decision::stream;
        remaining_ = lit_.size;
        lit_nul_ = false;
        Value v;
        v.kind = Value::Kind::literal;
        v.literal_size = lit_.size;
        v.binary = lit_.binary;
        v.streamed = lit_stream_;
        if (!lit_stream_) v.text.reserve(static_cast<size_t>(lit_.size));
        add_value(std::move(v));
        state_ = State::literal_read;
        if (lit_.synchronising) {
          Event e;
          e.kind = Event::Kind::continuation;
          e.literal = lit_;
          return e;
        }
        continue;
      }
      case State::literal_read: {
        if (remaining_ > 0) {
          size_t avail = buf_.size() - pos_;
          if (avail == 0) return {};
          size_t n = static_cast<size_t>(std::min<uint64_t>(avail, remaining_));
          std::string_view part(buf_.data() + pos_, n);
          pos_ += n;
          remaining_ -= n;
          if (lit_stream_) {
            Event e;
            e.kind = Event::Kind::literal_chunk;
            e.literal = lit_;
            e.chunk = part;
            return e;
          }
          Value& v = current_list().back();
          if (!lit_.binary && part.find('\0') != std::string_view::npos) lit_nul_ = true;
          v.text.append(part);
          command_bytes_ += n;
          if (remaining_ > 0) continue;
        }
        state_ = State::line;
        if (lit_nul_) {
          err_ = ProtocolError{C::bad_syntax, cmd_.tag, "NUL in literal (use literal8)", false};
          skip_tail_.clear();
          return error_event(true, {});
        }
        continue;
      }
      case State::literal_discard: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(buf_.size() - pos_, remaining_));
        pos_ += n;
        remaining_ -= n;
        if (remaining_ > 0) return {};
        skip_tail_.clear();
        state_ = State::skip_line;
        continue;
      }
      case State::skip_line: {
        const char* base = buf_.data() + pos_;
        size_t avail = buf_.size() - pos_;
        const void* lf = std::memchr(base, '\n', avail);
        if (!lf) {
          skip_tail_.append(base, avail);
          if (skip_tail_.size() > kSkipTailBytes) skip_tail_.erase(0, skip_tail_.size() - kSkipTailBytes);
          pos_ = buf_.size();
          return {};
        }
        size_t len = static_cast<size_t>(static_cast<const char*>(lf) - base);
        skip_tail_.append(base, len);
        pos_ += len + 1;
        if (!skip_tail_.empty() && skip_tail_.back() == '\r') skip_tail_.pop_back();
        std::string tail = std::move(skip_tail_);
        skip_tail_.clear();
        after_skipped_line(tail);
        continue;
      }
    }
  }
}

bool CommandReader::next_line(std::string& line, bool& too_long) {
  too_long = false;
  if (state_ != State::line || in_command_) return false;
  const char* base = buf_.data() + pos_;
  size_t avail = buf_.size() - pos_;
  const void* lf = std::memchr(base, '\n', avail);
  if (!lf) {
    if (avail > limits_.max_line_bytes + 1) {
      too_long = true;
      pos_ = buf_.size();
      skip_tail_.clear();
      state_ = State::skip_line;
      return true;
    }
    return false;
  }
  size_t len = static_cast<size_t>(static_cast<const char*>(lf) - base);
  std::string_view s(base, len);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  pos_ += len + 1;
  scanned_ = 0;
  compact();
  if (s.size() > limits_.max_line_bytes) {
    too_long = true;
    return true;
  }
  line.assign(s);
  return true;
}

}  // namespace tern::imap
