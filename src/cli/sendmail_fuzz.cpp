// libFuzzer target: the sendmail(1) argv reader, the standard-input reader
// and the -t header splice (sendmail_parse.h), all of which read what any
// local user gives. Input: argv items separated by NUL, then "\0\0", then
// the message. Checks invariants, not only the absence of crashes.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "cli/sendmail_parse.h"
#include "mail/headers.h"

namespace {

void check_args(const std::vector<std::string>& args) {
  tern::cli::SendmailOptions o;
  std::string error;
  int rc = tern::cli::parse_sendmail_args(args, o, error);
  if (rc != 0 && (rc != 64 || error.empty())) __builtin_trap();
  if (rc != 0) return;
  // The recipients are the arguments left after the options, exactly as
  // given: after "--" every argument is one, even "-oQx@y" (#21).
  size_t n = o.recipients.size();
  if (n > args.size()) __builtin_trap();
  for (size_t i = 0; i < n; ++i)
    if (o.recipients[i] != args[args.size() - n + i]) __builtin_trap();
  if (!args.empty() && args[0] == "--" && n != args.size() - 1) __builtin_trap();
}

void check_stdin(std::string_view msg) {
  for (bool dots : {false, true}) {
    std::istringstream in{std::string(msg)};
    bool too_big = false;
    const size_t limit = 4096;
    std::string out = tern::cli::read_sendmail_message(in, dots, limit, too_big);
    if (out.size() > msg.size() + 1) __builtin_trap();       // at most a final LF added
    if (!too_big && out.size() > limit) __builtin_trap();     // the limit holds
    if (!out.empty() && out.back() != '\n') __builtin_trap();  // whole lines only
    if (!dots && (out.starts_with(".\n") || out.find("\n.\n") != std::string::npos)) __builtin_trap();
  }
}

void check_splice(const std::string& msg) {
  for (bool extract : {false, true}) {
    auto s = tern::cli::splice_headers(msg, extract, "origin.test");
    if (s.content.size() > msg.size()) __builtin_trap();
    if (!extract && !s.recipients.empty()) __builtin_trap();
    // The result keeps no Bcc: field in its header section.
    for (auto& f : tern::mail::parse_header_section(s.content).fields)
      if (f.name.size() == 3 && (f.name[0] | 0x20) == 'b' && (f.name[1] | 0x20) == 'c' && (f.name[2] | 0x20) == 'c')
        __builtin_trap();
    for (auto& r : s.recipients)
      if (!r.empty() && r.find('@') == std::string::npos) __builtin_trap();  // qualified
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t sep = in.find(std::string_view("\0\0", 2));
  std::string_view argv_part = in.substr(0, sep == std::string_view::npos ? in.size() : sep);
  std::string_view msg = sep == std::string_view::npos ? std::string_view() : in.substr(sep + 2);
  std::vector<std::string> args;
  size_t pos = 0;
  while (pos <= argv_part.size() && args.size() < 64) {
    size_t nul = argv_part.find('\0', pos);
    if (nul == std::string_view::npos) nul = argv_part.size();
    args.emplace_back(argv_part.substr(pos, nul - pos));
    pos = nul + 1;
  }
  check_args(args);
  check_stdin(msg);
  check_splice(std::string(msg));
  return 0;
}
