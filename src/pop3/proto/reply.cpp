// POP3 replies and the multi-line encoder (see reply.h).
#include "pop3/proto/reply.h"

namespace tern::pop3 {
namespace {

void append_text(std::string& out, std::string_view text) {
  for (char c : text) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
}

}  // namespace

std::string_view resp_code_name(RespCode c) {
  switch (c) {
    case RespCode::in_use: return "IN-USE";
    case RespCode::login_delay: return "LOGIN-DELAY";
    case RespCode::auth: return "AUTH";
    case RespCode::sys_temp: return "SYS/TEMP";
    case RespCode::sys_perm: return "SYS/PERM";
    case RespCode::none: break;
  }
  return "";
}

std::string ok_line(std::string_view text) {
  std::string out = "+OK";
  if (!text.empty()) {
    out += ' ';
    append_text(out, text);
  }
  out += "\r\n";
  return out;
}

std::string err_line(std::string_view text, RespCode code) {
  std::string out = "-ERR";
  if (code != RespCode::none) {
    out += " [";
    out += resp_code_name(code);
    out += ']';
  }
  if (!text.empty()) {
    out += ' ';
    append_text(out, text);
  }
  out += "\r\n";
  return out;
}

void MultilineEncoder::end_line() {
  if (!in_body_ && line_bytes_ == 0) {
    in_body_ = true;  // the empty line between header and body
  } else if (in_body_ && body_left_) {
    --*body_left_;
  }
  if (in_body_ && body_left_ && *body_left_ == 0) full_ = true;
  at_line_start_ = true;
  line_bytes_ = 0;
}

bool MultilineEncoder::feed(std::string_view in, std::string& out) {
  for (size_t i = 0; i < in.size() && !full_; ++i) {
    char c = in[i];
    if (c == '\n') {
      if (!prev_cr_) out += '\r';
      out += '\n';
      prev_cr_ = false;
      end_line();
      continue;
    }
    if (prev_cr_) ++line_bytes_;  // a CR not followed by LF is part of the line
    if (at_line_start_ && c == '.') out += '.';
    at_line_start_ = false;
    out += c;
    prev_cr_ = c == '\r';
    if (!prev_cr_) ++line_bytes_;
  }
  return !full_;
}

void MultilineEncoder::finish(std::string& out) {
  if (!at_line_start_) {
    if (!prev_cr_) out += '\r';
    out += '\n';
  }
  out += kEndOfMultiline;
}

}  // namespace tern::pop3
