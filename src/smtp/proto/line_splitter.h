// LineSplitter: cuts SMTP command lines out of a byte stream. Pure and
// incremental: feed() bytes as they arrive, next() hands out complete lines.
//
// SECURITY: a line longer than max_line_bytes is never buffered whole; the
// splitter reports too_long once, discards bytes up to the next LF, and goes
// on; if more than max_discard_bytes go by without a LF it reports flood
// once (the caller hangs up) (RELIABILITY.md #5). A command line ends at CRLF; a bare LF also ends
// one (clients that send bare LF in commands are common and harmless), but
// the CR is then not stripped twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::smtp {

class LineSplitter {
 public:
  enum class Kind { line, need_more, too_long, flood };
  struct Next {
    Kind kind;
    std::string line;  // without CRLF, when kind == line
  };

  explicit LineSplitter(size_t max_line_bytes, size_t max_discard_bytes = SIZE_MAX)
      : max_(max_line_bytes), max_discard_(max_discard_bytes) {}
  void feed(std::string_view bytes) { buf_.append(bytes.data(), bytes.size()); }
  // Changes the limit for the lines handed out next (a SASL response may be
  // longer than a command: RFC 4954 allows 12288 bytes).
  void set_max_line_bytes(size_t max_line_bytes) { max_ = max_line_bytes; }
  Next next();
  // Bytes received but not yet handed out (pipelining detection, and the
  // first bytes of a DATA body or BDAT chunk that came with the command).
  std::string_view pending() const { return std::string_view(buf_).substr(pos_); }
  size_t pending_size() const { return buf_.size() - pos_; }
  // Removes up to n pending bytes and returns them.
  std::string take(size_t n);
  // Drops up to n pending bytes (content the caller has used from pending()).
  void consume(size_t n);
  // Drops everything buffered (mode switches: STARTTLS; RELIABILITY.md #6).
  void clear();

 private:
  void compact();
  size_t max_;
  size_t max_discard_;
  size_t discarded_ = 0;  // since the line became too long
  std::string buf_;
  size_t pos_ = 0;
  bool discarding_ = false;
};

}  // namespace tern::smtp
