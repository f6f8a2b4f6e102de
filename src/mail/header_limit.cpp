// Implementation of the header-section limiter (see header_limit.h).
#include "mail/header_limit.h"

#include <cstring>

namespace tern::mail {

namespace {

bool name_byte(unsigned char c) { return c >= 33 && c <= 126 && c != ':'; }

}  // namespace

// A line is now known to be a header line: count it and check the limits.
bool HeaderLimiter::commit_line_start() {
  ++lines_;
  if (lines_ > max_lines_) {
    verdict_ = Verdict::too_many_lines;
    return false;
  }
  if (bytes_ > max_bytes_) {
    verdict_ = Verdict::too_big;
    return false;
  }
  return true;
}

HeaderLimiter::Verdict HeaderLimiter::feed(std::string_view chunk) {
  size_t i = 0;
  const size_t n = chunk.size();
  while (verdict_ == Verdict::reading && i < n) {
    unsigned char c = static_cast<unsigned char>(chunk[i]);
    switch (pos_) {
      case Pos::line_start:
        if ((c == ' ' || c == '\t') && seen_field_) {
          ++bytes_;
          ++i;
          if (!commit_line_start()) break;
          pos_ = Pos::value;
        } else if (name_byte(c)) {
          pending_name_ = 1;
          ++i;
          pos_ = Pos::name;
        } else {
          end_section();  // empty line ("\n", "\r\n") or not a field: the body
        }
        break;
      case Pos::name:
        if (name_byte(c)) {
          ++pending_name_;
          ++i;
        } else if (c == ':') {
          bytes_ += pending_name_ + 1;
          pending_name_ = 0;
          seen_field_ = true;
          ++i;
          if (!commit_line_start()) break;
          pos_ = Pos::value;
        } else {
          end_section();  // "word word" or a bare name: this line is body
        }
        break;
      case Pos::value: {
        // The rest of the line, up to and including its LF, in one step.
        const void* lf = std::memchr(chunk.data() + i, '\n', n - i);
        size_t end = lf ? static_cast<size_t>(static_cast<const char*>(lf) - chunk.data()) + 1 : n;
        bytes_ += end - i;
        i = end;
        if (bytes_ > max_bytes_) {
          verdict_ = Verdict::too_big;
          break;
        }
        if (lf) pos_ = Pos::line_start;
        break;
      }
    }
  }
  return verdict_;
}

}  // namespace tern::mail
