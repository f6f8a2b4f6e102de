// SMTP command-line parser (RFC 5321 4.1, RFC 1870 SIZE, RFC 6152 8BITMIME,
// RFC 6531 SMTPUTF8, RFC 3030 BDAT). See command.h for the contract.
#include "smtp/proto/command.h"

#include <array>

#include "base/strings.h"
#include "smtp/proto/client_command.h"

namespace tern::smtp {
namespace {

struct VerbName {
  std::string_view name;
  Verb verb;
};
constexpr std::array kVerbs{
    VerbName{"HELO", Verb::helo}, VerbName{"EHLO", Verb::ehlo}, VerbName{"MAIL", Verb::mail},
    VerbName{"RCPT", Verb::rcpt}, VerbName{"DATA", Verb::data}, VerbName{"BDAT", Verb::bdat},
    VerbName{"RSET", Verb::rset}, VerbName{"NOOP", Verb::noop}, VerbName{"QUIT", Verb::quit},
    VerbName{"VRFY", Verb::vrfy}, VerbName{"EXPN", Verb::expn}, VerbName{"HELP", Verb::help},
    VerbName{"STARTTLS", Verb::starttls}, VerbName{"AUTH", Verb::auth},
};

Reply syntax(std::string_view usage) { return Reply(501, "5.5.4", "Syntax: " + std::string(usage)); }

// ESMTP parameters are separated by spaces only: a comma belongs to the
// value (NOTIFY=SUCCESS,FAILURE).
std::vector<std::string> split_params(std::string_view s) {
  std::vector<std::string> out;
  for (size_t pos = 0; pos < s.size();) {
    size_t sp = s.find(' ', pos);
    if (sp == std::string_view::npos) sp = s.size();
    if (sp > pos) out.emplace_back(s.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

// RFC 3461 4.1: NEVER alone, or a list of SUCCESS, FAILURE, DELAY. 0: bad.
unsigned parse_notify(std::string_view v) {
  unsigned bits = 0;
  for (auto& w : str::split_list(v)) {
    unsigned b = str::iequals(w, "NEVER")     ? notify::never
                 : str::iequals(w, "SUCCESS") ? notify::success
                 : str::iequals(w, "FAILURE") ? notify::failure
                 : str::iequals(w, "DELAY")   ? notify::delay
                                              : 0;
    if (b == 0 || (bits & b)) return 0;
    bits |= b;
  }
  if ((bits & notify::never) && bits != notify::never) return 0;
  return bits;
}

// RFC 3461 4.2: "addr-type;xtext"; the type is an atom.
bool valid_orcpt(std::string_view v) {
  auto semi = v.find(';');
  if (semi == 0 || semi == std::string_view::npos || semi + 1 == v.size() || semi > 32) return false;
  for (char c : v.substr(0, semi))
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

// Parses a decimal number; returns UINT64_MAX on overflow, false on garbage.
bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 40) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) {
      v = UINT64_MAX;
    } else {
      v = v * 10 + d;
    }
  }
  out = v;
  return true;
}

// Finds the end of a "<...>" path, honouring quoted strings; npos if none.
size_t path_end(std::string_view s) {
  bool quoted = false;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

// MAIL FROM:<path> params / RCPT TO:<path> params
std::variant<Command, Reply> parse_envelope(Command cmd, std::string_view prefix, const ParseLimits& lim) {
  bool is_mail = cmd.verb == Verb::mail;
  std::string_view usage = is_mail ? "MAIL FROM:<address>" : "RCPT TO:<address>";
  std::string_view a = cmd.arg;
  if (!str::istarts_with(a, prefix)) return syntax(usage);
  a.remove_prefix(prefix.size());
  while (!a.empty() && a.front() == ' ') a.remove_prefix(1);  // tolerate "FROM: <x>"
  if (a.empty() || a.front() != '<') return syntax(usage);
  size_t end = path_end(a);
  if (end == std::string_view::npos) return syntax(usage);
  std::string_view path = a.substr(0, end + 1);
  std::string_view rest = a.substr(end + 1);
  if (!rest.empty() && rest.front() != ' ') return syntax(usage);

  // Parameters first: SMTPUTF8 changes what the path may contain.
  for (auto& p : split_params(rest)) {
    if (cmd.params.size() >= lim.max_params) return Reply(555, "5.5.4", "Too many parameters");
    auto eq = p.find('=');
    std::string key = eq == std::string::npos ? p : p.substr(0, eq);
    for (auto& c : key) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    std::string value = eq == std::string::npos ? "" : p.substr(eq + 1);
    cmd.params.emplace_back(key, value);
  }
  for (auto& [key, value] : cmd.params) {
    if (is_mail && key == "SIZE") {
      if (!parse_u64(value, cmd.size)) return Reply(501, "5.5.4", "Bad SIZE parameter");
    } else if (is_mail && key == "BODY") {
      cmd.body = value;
      for (auto& c : cmd.body) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
      if (cmd.body != "7BIT" && cmd.body != "8BITMIME") return Reply(555, "5.5.4", "Unsupported BODY parameter");
    } else if (is_mail && key == "SMTPUTF8" && lim.smtputf8_enabled) {
      if (!value.empty()) return Reply(501, "5.5.4", "SMTPUTF8 takes no value");
      cmd.smtputf8 = true;
    } else if ((is_mail && (key == "AUTH" || key == "ENVID" || key == "RET")) ||
               (!is_mail && (key == "NOTIFY" || key == "ORCPT"))) {
      std::string decoded;
      if (!xtext_decode(value, decoded)) return Reply(501, "5.5.4", "Bad " + key + " parameter");
      value = decoded;
      if (key == "AUTH") cmd.auth = value.empty() ? "<>" : value;
      if (key == "ENVID") {
        if (value.empty() || value.size() > 100) return Reply(501, "5.5.4", "Bad ENVID parameter");
        cmd.envid = value;
      }
      if (key == "RET") {
        if (!str::iequals(value, "FULL") && !str::iequals(value, "HDRS")) return Reply(501, "5.5.4", "Bad RET parameter");
        cmd.ret = str::iequals(value, "FULL") ? "FULL" : "HDRS";
      }
      if (key == "NOTIFY" && (cmd.notify = parse_notify(value)) == 0) return Reply(501, "5.5.4", "Bad NOTIFY parameter");
      if (key == "ORCPT") {
        if (!valid_orcpt(value) || value.size() > 500) return Reply(501, "5.5.4", "Bad ORCPT parameter");
        cmd.orcpt = value;
      }
    } else {
      return Reply(555, "5.5.4", "Unsupported option: " + str::printable(key, 64));
    }
  }
  mail::PathOptions po;
  po.allow_null = is_mail;
  po.allow_utf8 = is_mail ? cmd.smtputf8 : true;  // RCPT: the session checks SMTPUTF8 from MAIL
  po.allow_no_domain = !is_mail;                  // RCPT TO:<postmaster>
  auto addr = mail::parse_path(path, po);
  if (!addr) {
    if (is_mail) return Reply(501, "5.1.7", "Bad sender address syntax");
    return Reply(501, "5.1.3", "Bad recipient address syntax");
  }
  cmd.address = std::move(*addr);
  return cmd;
}

}  // namespace

bool xtext_decode(std::string_view in, std::string& out) {
  out.clear();
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < in.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (c == '+') {
      if (i + 2 >= in.size()) return false;
      int h = hex(in[i + 1]), l = hex(in[i + 2]);
      if (h < 0 || l < 0) return false;
      c = static_cast<unsigned char>(h * 16 + l);
      i += 2;
    } else if (c < 0x21 || c > 0x7e || c == '=') {
      return false;
    }
    if (c < 0x20 || c == 0x7f) return false;
    out += static_cast<char>(c);
  }
  return true;
}

ParseResult parse_command(std::string_view line, const ParseLimits& limits) {
  for (unsigned char c : line)
    if (c == 0 || c == '\r' || c == '\n') return Reply(500, "5.5.2", "Error: bad character in command");
  auto sp = line.find(' ');
  std::string_view name = line.substr(0, sp);
  Command cmd;
  bool known = false;
  for (auto& v : kVerbs) {
    if (str::iequals(name, v.name)) {
      cmd.verb = v.verb;
      known = true;
      break;
    }
  }
  if (!known) return Reply(500, "5.5.2", "Error: command not recognized");
  if (sp != std::string_view::npos) cmd.arg = std::string(str::trim(line.substr(sp + 1)));
  // Control bytes in the arguments (a HELO name, a path, a parameter) are a
  // syntax error in them: refused, never sanitized (RELIABILITY.md #19).
  for (unsigned char c : cmd.arg)
    if (c < 0x20 || c == 0x7f) return Reply(501, "5.5.2", "Error: bad character in command");

  switch (cmd.verb) {
    case Verb::helo:
    case Verb::ehlo:
      if (cmd.arg.empty() || cmd.arg.find(' ') != std::string::npos)
        return syntax(cmd.verb == Verb::helo ? "HELO hostname" : "EHLO hostname");
      if (mail::has_8bit(cmd.arg)) return Reply(501, "5.5.2", "Bad hostname");
      return cmd;
    case Verb::mail:
      return parse_envelope(std::move(cmd), "FROM:", limits);
    case Verb::rcpt:
      return parse_envelope(std::move(cmd), "TO:", limits);
    case Verb::bdat: {
      auto parts = str::split_list(cmd.arg);
      if (parts.empty() || parts.size() > 2 || !parse_u64(parts[0], cmd.chunk_size) ||
          (parts.size() == 2 && !str::iequals(parts[1], "LAST")))
        return syntax("BDAT size [LAST]");
      cmd.last = parts.size() == 2;
      return cmd;
    }
    case Verb::data:
    case Verb::rset:
    case Verb::quit:
    case Verb::starttls:
      if (!cmd.arg.empty()) {
        std::string upper(name);
        for (auto& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
        return syntax(upper);
      }
      return cmd;
    default:
      return cmd;
  }
}

}  // namespace tern::smtp
