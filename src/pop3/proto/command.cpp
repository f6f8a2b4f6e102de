// The POP3 command parser (see command.h).
#include "pop3/proto/command.h"

#include <array>
#include <vector>

namespace tern::pop3 {
namespace {

struct VerbSpec {
  std::string_view name;
  Verb verb;
};
constexpr std::array<VerbSpec, 15> kVerbs{{{"USER", Verb::user}, {"PASS", Verb::pass}, {"APOP", Verb::apop},
                                           {"AUTH", Verb::auth}, {"CAPA", Verb::capa}, {"STAT", Verb::stat},
                                           {"LIST", Verb::list}, {"RETR", Verb::retr}, {"DELE", Verb::dele},
                                           {"NOOP", Verb::noop}, {"RSET", Verb::rset}, {"QUIT", Verb::quit},
                                           {"TOP", Verb::top},   {"UIDL", Verb::uidl}, {"STLS", Verb::stls}}};

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

std::optional<Verb> find_verb(std::string_view word) {
  for (const auto& s : kVerbs) {
    if (s.name.size() != word.size()) continue;
    bool same = true;
    for (size_t i = 0; i < word.size() && same; ++i) same = upper(word[i]) == s.name[i];
    if (same) return s.verb;
  }
  return std::nullopt;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Digits only, saturating at UINT64_MAX.
uint64_t decimal(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return UINT64_MAX;
    v = v * 10 + d;
  }
  return v;
}

std::optional<uint32_t> message_number(std::string_view s) {
  if (!all_digits(s) || s.size() > kMaxArgBytes) return std::nullopt;
  uint64_t v = decimal(s);
  if (v == 0 || v > kMaxMessageNumber) return std::nullopt;
  return static_cast<uint32_t>(v);
}

// Arguments separated by spaces (runs of spaces tolerated, as clients send them).
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

ParseError syntax(std::string_view usage) { return ParseError{"Syntax: " + std::string(usage)}; }

}  // namespace

std::string_view verb_name(Verb v) {
  for (const auto& s : kVerbs)
    if (s.verb == v) return s.name;
  return "?";
}

Parsed parse_command(std::string_view line) {
  if (line.size() + 2 > kMaxLineBytes) return ParseError{"Command line too long"};
  for (char c : line)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return ParseError{"Invalid characters in command"};
  size_t sp = line.find(' ');
  std::string_view keyword = line.substr(0, sp);
  std::string_view rest = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  auto verb = find_verb(keyword);
  if (!verb) return ParseError{"Unknown command"};
  Command cmd{*verb, {}, std::nullopt, std::nullopt, 0};

  if (*verb == Verb::pass) {
    // RFC 1939 section 7: the password is the rest of the line, spaces and all.
    if (rest.empty()) return syntax("PASS password");
    cmd.arg = std::string(rest);
    return cmd;
  }
  auto args = words(rest);
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].size() > kMaxArgBytes && !(*verb == Verb::auth && i == 1)) return ParseError{"Argument too long"};

  switch (*verb) {
    case Verb::capa:
    case Verb::stat:
    case Verb::noop:
    case Verb::rset:
    case Verb::quit:
    case Verb::stls:
      if (!args.empty()) return syntax(std::string(verb_name(*verb)));
      return cmd;
    case Verb::user:
      if (args.size() != 1) return syntax("USER name");
      cmd.arg = std::string(args[0]);
      return cmd;
    case Verb::apop:
      if (args.size() != 2) return syntax("APOP name digest");
      cmd.arg = std::string(args[0]);
      return cmd;
    case Verb::auth:
      if (args.size() > 2) return syntax("AUTH [mechanism [initial-response]]");
      if (!args.empty()) cmd.arg = std::string(args[0]);
      if (args.size() == 2) cmd.initial_response = std::string(args[1]);
      return cmd;
    case Verb::list:
    case Verb::uidl:
      if (args.size() > 1) return syntax(*verb == Verb::list ? "LIST [msg]" : "UIDL [msg]");
      if (args.size() == 1) {
        cmd.msg = message_number(args[0]);
        if (!cmd.msg) return ParseError{"Invalid message number"};
      }
      return cmd;
    case Verb::retr:
    case Verb::dele:
      if (args.size() != 1) return syntax(*verb == Verb::retr ? "RETR msg" : "DELE msg");
      cmd.msg = message_number(args[0]);
      if (!cmd.msg) return ParseError{"Invalid message number"};
      return cmd;
    case Verb::top:
      if (args.size() != 2) return syntax("TOP msg lines");
      cmd.msg = message_number(args[0]);
      if (!cmd.msg) return ParseError{"Invalid message number"};
      if (!all_digits(args[1])) return ParseError{"Invalid line count"};
      cmd.lines = decimal(args[1]);
      return cmd;
    case Verb::pass: break;
  }
  return ParseError{"Unknown command"};
}

}  // namespace tern::pop3
