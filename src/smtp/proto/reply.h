// Reply: an SMTP reply as a value (code, RFC 3463 enhanced status, text)
// and its wire form. Every reply tern sends goes through format().
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tern::smtp {

struct Reply {
  int code = 250;
  std::string enhanced;            // "2.0.0"; empty for 220/221 banners and 354
  std::vector<std::string> lines;  // at least one; multi-line replies use "code-"

  Reply() = default;
  Reply(int c, std::string e, std::string text) : code(c), enhanced(std::move(e)), lines{std::move(text)} {}
  bool positive() const { return code < 400; }
  bool temporary() const { return code >= 400 && code < 500; }
  bool closes() const { return code == 421; }
  std::string format() const;  // CRLF-terminated wire bytes
  std::string text() const;    // "451 4.3.0 text" on one line, for logs
};

}  // namespace tern::smtp
