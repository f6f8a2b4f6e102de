// ReplyParser: the SMTP client's reader of server replies (RFC 5321 4.2).
// Pure and incremental: feed() bytes as they arrive from the remote server,
// next() hands out complete replies (code, RFC 3463 enhanced status when
// present, text lines) as smtp::Reply values.
//
// SECURITY: the remote server is untrusted (RELIABILITY.md #45; OpenSMTPD
// CVE-2020-8794 read past a short multi-line reply and wrote reply text
// with newlines into its envelope). Memory is bounded by the limits below
// plus what the caller feeds between two next() calls. A reply's text lines
// never hold a control byte: C0 controls, NUL, a CR inside a line and DEL
// become '?', TAB a space; bytes >= 0x80 are kept (the log escapes them,
// reply_summary() replaces them). A bare LF ends a line, as Postfix accepts.
// Errors are sticky: after one the stream is out of step and the caller
// hangs up (and defers, 4.4.2).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "smtp/proto/reply.h"

namespace tern::smtp {

struct ReplyLimits {
  // RFC 5321 4.5.3.1.5 says 512 bytes per reply line; real servers send
  // longer ones (long EHLO AUTH lists, verbose rejections), so be liberal.
  // Text beyond this is dropped and the reply marked truncated.
  size_t max_line_bytes = 4096;
  // Raw bytes of one reply, all lines: beyond, the server is flooding.
  size_t max_reply_bytes = 64 * 1024;
  // Lines of one reply: an EHLO reply has ~15; beyond, the server is flooding.
  size_t max_reply_lines = 100;
};

enum class ReplyError {
  none,
  bad_code,        // a line not starting with 3 digits, first one 2-5
  bad_separator,   // the 4th byte is neither ' ', '-' nor the end of line
  code_mismatch,   // a multi-line reply whose lines carry different codes
  too_many_lines,  // more than max_reply_lines
  too_long,        // more than max_reply_bytes
};
std::string_view reply_error_text(ReplyError e);  // plain words, for logs and bounces

class ReplyParser {
 public:
  enum class Kind { reply, need_more, error };
  struct Next {
    Kind kind = Kind::need_more;
    Reply reply;                          // when kind == reply
    bool truncated = false;               // a line was longer than max_line_bytes
    bool sanitized = false;               // a control byte was replaced
    ReplyError error = ReplyError::none;  // when kind == error
  };

  explicit ReplyParser(ReplyLimits limits = {}) : lim_(limits) {}
  void feed(std::string_view bytes);
  Next next();
  // True when no byte of an unfinished reply is held: after "220 ready to
  // start TLS" anything buffered is plaintext injected before the handshake
  // (RELIABILITY.md #41/#45), which the client must not carry into TLS.
  bool idle() const { return pos_ == buf_.size() && lines_ == 0 && !in_line_; }
  size_t pending_size() const { return buf_.size() - pos_; }
  // Drops everything buffered and any unfinished reply (STARTTLS).
  void clear();
  ReplyError error() const { return err_; }

 private:
  Next fail(ReplyError e);
  // Parses one complete line (without its line end) into cur_; true when it
  // ends the reply; sets e on a malformed line.
  bool add_line(std::string_view line, ReplyError& e);
  void reset_reply();
  void compact();

  ReplyLimits lim_;
  std::string buf_;
  size_t pos_ = 0;
  ReplyError err_ = ReplyError::none;
  // The reply being assembled.
  Reply cur_;
  size_t lines_ = 0;
  size_t reply_bytes_ = 0;
  bool truncated_ = false;
  bool sanitized_ = false;
  // A line longer than max_line_bytes: its head is kept in line_head_, the
  // rest is skipped up to the next LF.
  bool in_line_ = false;
  std::string line_head_;
  size_t line_raw_ = 0;
};

// One-line form of a reply for logs, mailq and bounces: "550 5.1.1 text
// text", lines joined by a space, every byte outside printable ASCII as '?',
// at most max_bytes (then "..."). Never contains CR, LF or NUL.
std::string reply_summary(const Reply& r, size_t max_bytes = 1024);

}  // namespace tern::smtp
