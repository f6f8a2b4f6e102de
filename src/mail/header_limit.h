// HeaderLimiter: watches the header section of a message as its content
// streams in (chunks from DATA, BDAT or local submission) and says when the
// section goes over header_size_limit bytes or header_line_limit lines
// (RELIABILITY.md #23: 200,000 To: lines, one 20 MB folded header). The
// caller decides what to do; tern rejects the message (docs/behaviour.md).
//
// The header section ends where parse_header_section (headers.h) says it
// does: at the first empty line ("\n" or "\r\n"), or at a line that is
// neither a field ("name:" with name bytes 33..126) nor a continuation
// (leading space or tab after a field); that line belongs to the body and
// is not counted, however long it is.
//
// SECURITY: the content is untrusted. The limiter is pure (no I/O, no
// allocation) and linear: O(1) state, each byte looked at once at most, and
// nothing at all once the section has ended or gone over a limit.
#pragma once

#include <cstdint>
#include <string_view>

namespace tern::mail {

class HeaderLimiter {
 public:
  enum class Verdict {
    reading,         // still inside the header section, within the limits
    within,          // the section ended within the limits
    too_big,         // more than max_bytes bytes of header lines
    too_many_lines,  // more than max_lines header lines (fields + continuations)
  };
  // Postfix's header_size_limit default; tern's header_line_limit default.
  static constexpr uint64_t kDefaultBytes = 102400;
  static constexpr uint64_t kDefaultLines = 1000;

  HeaderLimiter() = default;
  // A limit of 0 means no limit, as message_size_limit = 0 does in Postfix.
  HeaderLimiter(uint64_t max_bytes, uint64_t max_lines)
      : max_bytes_(max_bytes ? max_bytes : UINT64_MAX), max_lines_(max_lines ? max_lines : UINT64_MAX) {}

  // Consumes the next bytes of the content, in order; returns verdict().
  Verdict feed(std::string_view chunk);
  Verdict verdict() const { return verdict_; }
  bool over() const { return verdict_ == Verdict::too_big || verdict_ == Verdict::too_many_lines; }
  // Header bytes and lines counted so far (they stop growing at a verdict).
  uint64_t bytes() const { return bytes_; }
  uint64_t lines() const { return lines_; }

 private:
  enum class Pos { line_start, name, value };
  bool commit_line_start();
  void end_section() { verdict_ = Verdict::within; }

  uint64_t max_bytes_ = kDefaultBytes;
  uint64_t max_lines_ = kDefaultLines;
  uint64_t bytes_ = 0;         // committed: lines known to be header lines
  uint64_t pending_name_ = 0;  // bytes of a field name whose colon is not seen yet
  uint64_t lines_ = 0;
  bool seen_field_ = false;
  Pos pos_ = Pos::line_start;
  Verdict verdict_ = Verdict::reading;
};

}  // namespace tern::mail
