// The pure parts of the sendmail(1) personality, apart from its I/O so that
// a fuzz target (sendmail_fuzz.cpp) and unit tests can call them: the argv
// reader, the standard-input reader, and the -t header splice (recipients
// from To/Cc/Bcc, Bcc fields removed).
//
// SECURITY: every input here comes from any local user (argv, the message
// on stdin). Nothing is executed or expanded; after "--" every argument is
// an address even if it starts with '-' (RELIABILITY.md #21). Control bytes
// in addresses are refused by the caller, before submission.
#pragma once

#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace tern::cli {

struct SendmailOptions {
  std::string config;
  std::string mode = "m";  // bm
  bool extract = false;    // -t
  bool ignore_dots = false;
  std::string sender;
  std::string full_name;
  std::string site;                     // -qRsite
  std::vector<std::string> recipients;  // or the queue IDs after -M, -Mrm, -Mf, -Mt
};

// Reads argv[1..] (args excludes the program name). Returns 0, or an exit
// status (64, EX_USAGE) with the reason in `error`.
int parse_sendmail_args(const std::vector<std::string>& args, SendmailOptions& o, std::string& error);

// Reads a message: LF line endings (a CR before LF is dropped), ends at a
// lone "." unless ignore_dots. Stops once more than `limit` bytes were read
// and sets too_big.
std::string read_sendmail_message(std::istream& in, bool ignore_dots, size_t limit, bool& too_big);

// "<a>" -> "a"; "user" -> "user@origin".
std::string qualify_address(std::string_view a, const std::string& origin);

struct HeaderSplice {
  std::string content;                  // the message without its Bcc: fields
  std::vector<std::string> recipients;  // from To/Cc/Bcc when extract, qualified
  bool has_from = false, has_date = false, has_msgid = false;
  bool body_only = false;  // no header section at all
};
HeaderSplice splice_headers(const std::string& msg, bool extract, const std::string& origin);

}  // namespace tern::cli
