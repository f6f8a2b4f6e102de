// DataReader: the DATA body decoder. Bytes from the wire in; message content
// out with LF line endings and dot-stuffing removed; the end of data found.
// Pure and incremental, one byte of state machine per input byte.
//
// The end of data is only CR LF . CR LF (RFC 5321 4.1.1.4). A bare LF or a
// bare CR never ends a line that matters, so "\n.\n", "\r.\r", "\r\n.\n" and
// "\n.\r\n" can never end a message or start a second one (SMTP smuggling,
// CVE-2023-51764). Policy (smtpd_forbid_bare_newline):
//   reject    : the message is read to its real end and then refused with
//               550 5.5.2 (tern's default);
//   normalize : a bare LF ends a content line as CRLF would; a bare CR is kept
//               as content. The end of data is still only CRLF.CRLF.
// Content beyond max_bytes is counted but not kept; the caller then answers
// 552 5.3.4 after the end, staying in sync with the client.
//
// SECURITY: attacker bytes; constant memory besides the output buffer,
// which the caller drains after every feed().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::smtp {

class DataReader {
 public:
  enum class BareNewline { reject, normalize };

  DataReader(uint64_t max_bytes, BareNewline policy) : max_(max_bytes), policy_(policy) {}

  // Consumes bytes up to and including the end-of-data marker. Returns how
  // many bytes of `in` were used (less than in.size() only when done()).
  size_t feed(std::string_view in);

  bool done() const { return state_ == State::done; }
  bool too_big() const { return total_ > max_; }
  bool saw_bare_newline() const { return bare_; }
  bool saw_nul() const { return nul_; }
  uint64_t total_bytes() const { return total_; }  // content bytes (LF endings)

  // Decoded content since the last take(); the caller writes it out.
  std::string& output() { return out_; }

 private:
  enum class State { line_start, dot, dot_cr, in_line, cr, done };
  void emit(char c);
  void bare();

  uint64_t max_;
  BareNewline policy_;
  State state_ = State::line_start;
  uint64_t total_ = 0;
  bool bare_ = false;
  bool nul_ = false;
  bool soft_line_ = false;  // the current line began after a bare LF (normalize)
  bool soft_dot_ = false;
  std::string out_;
};

}  // namespace tern::smtp
