// EHLO reply parsing for the SMTP client; see ehlo_parser.h.
#include "smtp/proto/ehlo_parser.h"

#include <algorithm>

#include "base/strings.h"

namespace tern::smtp {
namespace {

constexpr size_t kMaxMechanisms = 32;
constexpr size_t kMaxMechanismBytes = 20;  // RFC 4422 3.1
constexpr size_t kMaxServerName = 255;

// Keywords that only switch something on.
struct Flag {
  std::string_view keyword;
  bool EhloCapabilities::*member;
};
constexpr Flag kFlags[] = {
    {"PIPELINING", &EhloCapabilities::pipelining}, {"8BITMIME", &EhloCapabilities::eightbitmime},
    {"SMTPUTF8", &EhloCapabilities::smtputf8},     {"CHUNKING", &EhloCapabilities::chunking},
    {"BINARYMIME", &EhloCapabilities::binarymime}, {"DSN", &EhloCapabilities::dsn},
    {"STARTTLS", &EhloCapabilities::starttls},     {"ENHANCEDSTATUSCODES", &EhloCapabilities::enhancedstatuscodes},
};

bool alnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool valid_keyword(std::string_view k) {
  if (k.empty() || !alnum(k[0])) return false;
  return std::all_of(k.begin(), k.end(), [](char c) { return alnum(c) || c == '-'; });
}

bool valid_mechanism(std::string_view m) {
  if (m.empty() || m.size() > kMaxMechanismBytes) return false;
  return std::all_of(m.begin(), m.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; });
}

// RFC 1870: SIZE [number]; 0, anything unparsable, or a number of 2^63 or
// more (no real limit, and it would overflow signed arithmetic) means no
// fixed limit.
uint64_t parse_size(std::string_view s) {
  if (s.empty() || s.size() > 19) return 0;  // 19 digits fit in uint64_t
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v >= (uint64_t(1) << 63) ? 0 : v;
}

void add_mechanisms(EhloCapabilities& caps, const std::vector<std::string>& words, size_t from) {
  for (size_t i = from; i < words.size(); ++i) {
    std::string m = words[i];
    std::transform(m.begin(), m.end(), m.begin(), [](char c) { return c >= 'a' && c <= 'z' ? c - 32 : c; });
    if (!valid_mechanism(m) || caps.offers_auth(m)) continue;
    if (caps.auth.size() >= kMaxMechanisms) return;
    caps.auth.push_back(std::move(m));
  }
}

}  // namespace

bool EhloCapabilities::offers_auth(std::string_view mechanism) const {
  return std::any_of(auth.begin(), auth.end(), [&](const std::string& m) { return str::iequals(m, mechanism); });
}

EhloCapabilities parse_ehlo(const Reply& reply) {
  EhloCapabilities caps;
  if (reply.code != 250 || reply.lines.empty()) return caps;
  {
    std::string_view first = reply.lines[0];
    std::string_view name = first.substr(0, first.find(' '));
    if (name.size() <= kMaxServerName &&
        std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
      caps.server_name.assign(name);
  }
  for (size_t i = 1; i < reply.lines.size(); ++i) {
    std::vector<std::string> words = str::split(reply.lines[i], ' ');
    words.erase(std::remove(words.begin(), words.end(), std::string()), words.end());
    if (words.empty()) continue;
    std::string_view kw = words[0];
    // Old servers announce "AUTH=LOGIN PLAIN" (pre-RFC 2554 clients read it).
    if (str::istarts_with(kw, "AUTH=")) {
      words[0] = words[0].substr(5);
      add_mechanisms(caps, words, 0);
      continue;
    }
    if (!valid_keyword(kw)) continue;
    if (str::iequals(kw, "AUTH")) {
      add_mechanisms(caps, words, 1);
    } else if (str::iequals(kw, "SIZE")) {
      caps.size = true;
      caps.size_limit = words.size() > 1 ? parse_size(words[1]) : 0;
    } else {
      for (auto& f : kFlags)
        if (str::iequals(kw, f.keyword)) caps.*f.member = true;
    }
  }
  return caps;
}

}  // namespace tern::smtp
