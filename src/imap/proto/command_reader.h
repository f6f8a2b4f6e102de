// CommandReader: cuts IMAP commands out of a byte stream and parses each
// into its tag, name and argument tree (value.h), literals included.
// Pure and incremental: feed() bytes as they arrive, next() hands out events.
//
// Literals (RFC 3501 4.3, RFC 7888, RFC 3516):
//   {n}   synchronising: the reader announces it (Event::literal); if the
//         caller lets it through, the next event is Event::continuation and
//         the caller sends "+ ..." before the client sends the bytes.
//   {n+}  non-synchronising: only with limits.literal_plus, or with
//         limits.literal_minus when n <= 4096 (a larger one under
//         LITERAL- alone is answered "tag BAD [TOOBIG]" and its bytes are
//         discarded, RFC 7888 section 4).
//   ~{n}  literal8 (BINARY): may hold NUL; the Value has binary == true.
// At Event::literal the caller may call stream_literal() (the bytes then
// come as Event::literal_chunk, never held whole: APPEND), refuse_literal()
// (it answers the command itself, e.g. NO [TRYCREATE]), or nothing (the
// literal is kept in the tree, up to max_buffered_literal_bytes).
// partial() shows the command parsed so far (which argument this is).
//
// Errors (Event::error) carry the tag when it was readable ("" means the
// caller answers "* BAD"). After an error the reader skips the rest of the
// command by itself, including the bytes of a non-synchronising literal
// announced at the end of a skipped line, so literal data never runs as
// commands. A literal over the limit is refused before any "+" and nothing
// is allocated for it: a synchronising one ends the command (answer
// "tag NO [TOOBIG]"); a non-synchronising one is discarded when it is within
// max_literal_bytes, else close is set (answer "tag BAD [TOOBIG]" and hang up).
//
// SECURITY: all input is attacker bytes. Memory is bounded by
// max_line_bytes (one line between literals), max_command_bytes (all the
// text one command keeps), max_values and max_depth; literal sizes are
// checked as numbers before anything is read. NUL, CR and LF are refused in
// atoms and quoted strings, NUL in kept non-binary literals (RELIABILITY.md
// #10, #11, #13). A streamed literal is raw: the caller checks its content.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/value.h"

namespace tern::imap {

struct ReaderLimits {
  // One line of a command, between literals. RFC 7162 section 4 asks servers
  // to take at least 8192 bytes; long UID sets from CONDSTORE clients need more.
  size_t max_line_bytes = 65536;
  // Everything one command keeps: its lines and kept literals.
  size_t max_command_bytes = 1 << 20;
  // Any literal, kept or streamed (APPEND: the message size limit).
  uint64_t max_literal_bytes = 10240000;
  // A literal kept in the argument tree (LOGIN passwords, SEARCH strings).
  uint64_t max_buffered_literal_bytes = 65536;
  // Nested parenthesised lists (SEARCH groups are the deepest real use).
  size_t max_depth = 32;
  // Value nodes in one command.
  size_t max_values = 4096;
  bool literal_plus = false;   // LITERAL+ advertised: {n+} of any size
  bool literal_minus = false;  // LITERAL- advertised: {n+} up to 4096 bytes
};

struct ProtocolError {
  enum class Code { bad_syntax, too_big, line_too_long, too_deep, too_many_values };
  Code code = Code::bad_syntax;
  std::string tag;   // "" when the tag was not readable: answer untagged
  std::string text;  // plain words for the client
  bool close = false;  // the stream is out of sync: answer, then hang up
  // too_big answered BAD: a non-synchronising literal over LITERAL-'s
  // 4096 bytes is a protocol violation (RFC 7888 section 4), not a refusal.
  bool bad = false;
  // "tag BAD text" / "tag NO [TOOBIG] text" / "tag BAD [TOOBIG] text" /
  // "* BAD text", with CRLF.
  std::string response() const;
};

struct LiteralInfo {
  uint64_t size = 0;
  bool synchronising = true;
  bool binary = false;
};

struct Event {
  enum class Kind { need_more, command, literal, continuation, literal_chunk, error };
  Kind kind = Kind::need_more;
  Command command;          // kind == command
  LiteralInfo literal;      // kind == literal, continuation, literal_chunk
  std::string_view chunk;   // kind == literal_chunk; valid until the next feed() or next()
  ProtocolError error;      // kind == error
};

class CommandReader {
 public:
  explicit CommandReader(ReaderLimits limits = {}) : limits_(limits) {}

  void feed(std::string_view bytes) { buf_.append(bytes.data(), bytes.size()); }
  Event next();

  // Decisions at Event::literal (before the next call of next()).
  void stream_literal() { decision_ = Decision::stream; }
  void refuse_literal() { decision_ = Decision::refuse; }
  const Command& partial() const { return cmd_; }

  // A raw line (AUTHENTICATE responses, IDLE's DONE): only between
  // commands. Returns false when no full line is buffered yet; sets too_long
  // (and drops the line) when it is longer than max_line_bytes.
  bool next_line(std::string& line, bool& too_long);

  void set_limits(const ReaderLimits& l) { limits_ = l; }  // e.g. LITERAL+ after ENABLE
  size_t pending_size() const { return buf_.size() - pos_; }
  // Nothing of a next command read yet (NOTIFY may talk to the client).
  bool between_commands() const { return state_ == State::line && !in_command_ && pending_size() == 0; }
  void clear();  // drops everything buffered (STARTTLS, RELIABILITY.md #41)
  // What is buffered beyond the last command, handed over and dropped here
  // (COMPRESS: bytes after it are already compressed).
  std::string take_pending();

 private:
  enum class State { line, decide, literal_read, literal_discard, skip_line, dead };
  enum class Decision { keep, stream, refuse };
  enum class Step { done, literal, error };

  Step tokenize(std::string_view seg);
  Step parse_args(std::string_view seg, size_t i);
  Step fail(ProtocolError::Code code, std::string text);
  Step literal_header(std::string_view seg, size_t i);
  Event error_event(bool skip_rest, std::string_view line_tail);
  void after_skipped_line(std::string_view tail);
  void reset_command();
  std::vector<Value>& current_list();
  bool add_value(Value v);
  void compact();

  ReaderLimits limits_;
  std::string buf_;
  size_t pos_ = 0;
  size_t scanned_ = 0;  // bytes after pos_ known to hold no LF
  State state_ = State::line;

  // The command being read.
  Command cmd_;
  bool in_command_ = false;  // tag and name read; later lines continue args
  bool need_sep_ = false;
  std::vector<Value*> open_;  // open lists, innermost last
  size_t values_ = 0;
  size_t command_bytes_ = 0;
  LiteralInfo lit_;
  Decision decision_ = Decision::keep;
  bool lit_stream_ = false;
  uint64_t remaining_ = 0;
  bool lit_nul_ = false;
  ProtocolError err_;
  std::string skip_tail_;  // last bytes of a line being skipped
};

}  // namespace tern::imap
