// libFuzzer target: the POP3 command parser and the multi-line encoder.
// Checks: no crash on any line; a parsed message number is in 1..2^31; the
// encoded body never holds a lone "." line before its end, ends in CRLF
// ".\r\n", and is the same whether fed at once or byte by byte.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pop3/proto/command.h"
#include "pop3/proto/reply.h"

using namespace tern::pop3;

namespace {

std::string encode(std::string_view in, std::optional<uint64_t> lines, bool bytewise) {
  MultilineEncoder e(lines);
  std::string out;
  if (bytewise) {
    for (size_t i = 0; i < in.size() && e.feed(in.substr(i, 1), out); ++i) {
    }
  } else {
    e.feed(in, out);
  }
  e.finish(out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t pos = 0;
  while (pos <= in.size()) {
    size_t lf = in.find('\n', pos);
    std::string_view line = in.substr(pos, lf == std::string_view::npos ? std::string_view::npos : lf - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto parsed = parse_command(line);
    if (auto* c = std::get_if<Command>(&parsed)) {
      if (c->msg && (*c->msg == 0 || *c->msg > kMaxMessageNumber)) __builtin_trap();
      if (line.size() + 2 > kMaxLineBytes) __builtin_trap();
    }
    if (lf == std::string_view::npos) break;
    pos = lf + 1;
  }
  std::optional<uint64_t> lines;
  if (size > 0 && data[0] < 8) lines = data[0];
  std::string whole = encode(in, lines, false);
  if (whole != encode(in, lines, true)) __builtin_trap();
  if (whole.size() < 3 || whole.compare(whole.size() - 3, 3, ".\r\n") != 0) __builtin_trap();
  if (whole.size() > 3 && whole.compare(whole.size() - 5, 2, "\r\n") != 0) __builtin_trap();
  // No line of the body (before the last) is a lone ".".
  std::string_view body(whole.data(), whole.size() - 3);
  if (body == "." || body.find("\r\n.\r\n") != std::string_view::npos || body.substr(0, 3) == ".\r\n") __builtin_trap();
  return 0;
}
