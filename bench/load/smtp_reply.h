// Line and reply framing for the load tool: bytes from the wire in, whole
// CRLF lines (the sink's commands) or whole SMTP replies (the client's, RFC
// 5321 4.2: "ddd-" continues, "ddd " ends) out. Pure, no I/O, so the client
// and the sink share one bounded implementation.
// SECURITY: reads what a server under test sends; a line longer than
// kMaxLine or a reply of more than kMaxReplyLines lines is a framing error,
// not a growing buffer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bench {

constexpr size_t kMaxLine = 4096;       // well above RFC 5321's 512-octet reply line
constexpr int kMaxReplyLines = 100;     // an EHLO reply has a dozen

// Accumulates bytes and hands out complete lines without their CRLF (a bare
// LF also ends a line). error() is set once a line outgrows kMaxLine.
class LineBuffer {
 public:
  void feed(std::string_view bytes) { buf_.append(bytes); }
  std::optional<std::string> next_line();
  // Bytes received but not yet returned as lines (what a server pipelined).
  size_t pending() const { return buf_.size() - pos_; }
  void clear() { buf_.clear(); pos_ = 0; }
  bool error() const { return error_; }

 private:
  std::string buf_;
  size_t pos_ = 0;
  bool error_ = false;
};

struct Reply {
  int code = 0;      // 0: malformed
  std::string text;  // every line, joined with " | ", for failure reports
};

// Builds replies from lines; nullopt until the final line has come.
class ReplyReader {
 public:
  void feed(std::string_view bytes) { lines_.feed(bytes); }
  std::optional<Reply> next();
  size_t pending() const { return lines_.pending(); }
  bool error() const { return error_ || lines_.error(); }

 private:
  LineBuffer lines_;
  Reply partial_;
  int line_count_ = 0;
  bool error_ = false;
};

}  // namespace bench
