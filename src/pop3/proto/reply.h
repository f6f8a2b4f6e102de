// POP3 replies (RFC 1939 section 3, RFC 2449 section 8): the status lines
// "+OK text" and "-ERR [CODE] text", and the body of a multi-line reply
// (RETR, TOP) as it goes out: line ends made CRLF, a leading "." doubled
// (dot-stuffing), TOP's cut after the header and m body lines, and the
// terminating ".". Pure: bytes in, bytes out, in chunks of any size, so a
// message is never held whole.
//
// SECURITY: the text of a status line is ours, but it may quote a client's
// word; CR, LF and other control bytes are replaced so that a reply is
// always one line. The message bytes are whatever the mailbox holds: a
// lone "." line in it is stuffed like any other, so it never ends the reply
// early, and a last line without a line end gets one before the ".".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::pop3 {

// RFC 2449 section 8 and RFC 3206: the extended response codes tern sends.
enum class RespCode { none, in_use, login_delay, auth, sys_temp, sys_perm };

std::string_view resp_code_name(RespCode c);  // "IN-USE", ... ("" for none)

// "+OK text\r\n" (just "+OK\r\n" when text is empty).
std::string ok_line(std::string_view text);
// "-ERR [CODE] text\r\n".
std::string err_line(std::string_view text, RespCode code = RespCode::none);

// The body of one multi-line reply. feed() returns false once it wants no
// more input (TOP has its lines); finish() ends the reply with ".".
class MultilineEncoder {
 public:
  // body_lines: nullopt for the whole message (RETR), else TOP's m.
  explicit MultilineEncoder(std::optional<uint64_t> body_lines = std::nullopt) : body_left_(body_lines) {}
  bool feed(std::string_view in, std::string& out);
  void finish(std::string& out);
  bool wants_more() const { return !full_; }

 private:
  void end_line();
  std::optional<uint64_t> body_left_;
  bool at_line_start_ = true;
  bool prev_cr_ = false;    // the last byte fed was CR (it is written already)
  size_t line_bytes_ = 0;   // bytes of the current line, CR not counted
  bool in_body_ = false;    // the empty line after the header went by
  bool full_ = false;       // TOP's lines are out
};

// A body line list (LIST, UIDL, CAPA) ends with this.
inline constexpr std::string_view kEndOfMultiline = ".\r\n";

}  // namespace tern::pop3
