// The DATA body state machine (see data_reader.h). States:
//   line_start: at the start of a line (after CRLF, or at the start of DATA)
//   dot:        line_start saw '.'
//   dot_cr:     line_start saw ".\r"
//   in_line:    inside a line
//   cr:         inside a line, saw '\r'
// In normalize mode a line that began after a bare LF is "soft": its
// ".<CR><LF>" is content, since only <CR><LF>.<CR><LF> ends the data.
#include "smtp/proto/data_reader.h"

#include <algorithm>
#include <cstring>

namespace tern::smtp {

void DataReader::emit(char c) {
  ++total_;
  if (total_ <= max_) out_ += c;
}

void DataReader::bare() { bare_ = true; }

size_t DataReader::feed(std::string_view in) {
  size_t i = 0;
  const bool normalize = policy_ == BareNewline::normalize;
  while (i < in.size() && state_ != State::done) {
    if (state_ == State::in_line) {
      // Fast path: copy the run of ordinary bytes up to the next CR or LF,
      // found with memchr (lines end in CR LF, so the LF search only
      // covers the line itself). The CR search looks at most kWindow
      // bytes ahead, so input without CRs cannot make every line rescan
      // the rest of the buffer.
      constexpr size_t kWindow = 1024;
      const char* base = in.data();
      const size_t end = std::min(in.size(), i + kWindow);
      const char* cr = static_cast<const char*>(std::memchr(base + i, '\r', end - i));
      size_t j = cr ? static_cast<size_t>(cr - base) : end;
      if (const void* lf = std::memchr(base + i, '\n', j - i))
        j = static_cast<size_t>(static_cast<const char*>(lf) - base);
      if (j > i) {
        std::string_view run = in.substr(i, j - i);
        if (!nul_ && std::memchr(run.data(), '\0', run.size())) nul_ = true;
        uint64_t room = total_ < max_ ? max_ - total_ : 0;
        out_.append(run.data(), static_cast<size_t>(std::min<uint64_t>(room, run.size())));
        total_ += run.size();
        i = j;
        continue;
      }
    }
    char c = in[i++];
    if (c == '\0') nul_ = true;
    switch (state_) {
      case State::line_start:
        soft_dot_ = soft_line_;
        soft_line_ = false;
        if (c == '.') {
          state_ = State::dot;
          break;
        }
        [[fallthrough]];
      case State::in_line:
        if (c == '\r') {
          state_ = State::cr;
        } else if (c == '\n') {
          bare();
          if (normalize) emit('\n');
          soft_line_ = normalize;
          state_ = normalize ? State::line_start : State::in_line;
        } else {
          emit(c);
          state_ = State::in_line;
        }
        break;
      case State::dot:
        if (c == '\r') {
          state_ = State::dot_cr;
        } else if (c == '\n') {
          // ".<LF>": never the end. The line is "." (nothing to unstuff).
          bare();
          if (normalize) {
            emit('.');
            emit('\n');
          }
          soft_line_ = normalize;
          state_ = normalize ? State::line_start : State::in_line;
        } else {
          emit(c);  // the stuffed dot is dropped (RFC 5321 4.5.2)
          state_ = State::in_line;
        }
        break;
      case State::dot_cr:
        if (c == '\n' && soft_dot_) {
          // ".<CR><LF>" after a bare LF: not CRLF.CRLF, so a content line ".".
          emit('.');
          emit('\n');
          state_ = State::line_start;
        } else if (c == '\n') {
          state_ = State::done;
        } else {
          // ".<CR>x": a bare CR after a leading dot; not the end.
          bare();
          if (normalize) emit('\r');
          --i;  // reprocess c inside the line
          state_ = State::in_line;
        }
        break;
      case State::cr:
        if (c == '\n') {
          emit('\n');
          state_ = State::line_start;
        } else {
          bare();
          if (normalize) emit('\r');
          --i;
          state_ = State::in_line;
        }
        break;
      case State::done:
        break;
    }
  }
  return i;
}

}  // namespace tern::smtp
