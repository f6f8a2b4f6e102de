// IMAP URL parsing (see imap_url.h).
#include "imap/proto/imap_url.h"

#include <optional>

#include "imap/proto/chars.h"

namespace tern::imap {
namespace {

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// nz-number: 1 .. 2^32-1.
bool nz_number(std::string_view s, uint32_t& out) {
  uint64_t v = 0;
  if (!parse_uint(s, UINT32_MAX, v) || v == 0) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

// ";KEY=value" pieces after the mailbox, each but the last followed by "/"
// (RFC 5092: "/;UID=20/;SECTION=1"). Returns false on a piece without "=".
struct Piece {
  std::string_view key, value;
};
bool next_piece(std::string_view& rest, Piece& p) {
  // rest starts with ';'.
  size_t next = rest.find(';', 1);
  std::string_view seg = rest.substr(0, next);
  if (next != std::string_view::npos) {
    if (seg.empty() || seg.back() != '/') return false;
    seg.remove_suffix(1);
  }
  rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next);
  size_t eq = seg.find('=');
  if (eq == std::string_view::npos) return false;
  p.key = seg.substr(1, eq - 1);
  p.value = seg.substr(eq + 1);
  return true;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::variant<ImapUrl, std::string> parse_imap_url(std::string_view url) {
  if (url.size() > kMaxImapUrlBytes) return std::string("URL too long");
  for (char c : url)
    if (is_ctl(c) || c == ' ') return std::string("Invalid character in URL");
  ImapUrl u;
  std::string_view rest = url;
  if (istarts_with(rest, "imap://")) {
    rest.remove_prefix(7);
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return std::string("URL names no message");
    std::string_view server = rest.substr(0, slash);
    rest.remove_prefix(slash);
    if (size_t at = server.rfind('@'); at != std::string_view::npos) {
      std::string_view userinfo = server.substr(0, at);
      server.remove_prefix(at + 1);
      if (size_t semi = userinfo.find(';'); semi != std::string_view::npos) {
        if (!istarts_with(userinfo.substr(semi), ";AUTH=")) return std::string("Invalid user in URL");
        userinfo = userinfo.substr(0, semi);
      }
      auto user = percent_decode(userinfo);
      if (!user) return std::string("Invalid user in URL");
      u.user = std::move(*user);
    }
    // host[:port]; an IPv6 literal is bracketed.
    if (size_t colon = server.rfind(':'); colon != std::string_view::npos && server.find(']', colon) == std::string_view::npos) {
      uint64_t port = 0;
      if (colon + 1 < server.size() && !parse_uint(server.substr(colon + 1), 65535, port))
        return std::string("Invalid port in URL");
      server = server.substr(0, colon);
    }
    if (server.empty()) return std::string("URL names no server");
    u.host = std::string(server);
    u.base = ImapUrl::Base::absolute;
  } else if (!rest.empty() && rest[0] == '/') {
    u.base = ImapUrl::Base::server_root;
  } else if (istarts_with(rest, ";UID=")) {
    u.base = ImapUrl::Base::selected;
  } else {
    return std::string("Not an IMAP URL");
  }

  if (u.base != ImapUrl::Base::selected) {
    rest.remove_prefix(1);  // the "/" before the mailbox
    size_t semi = rest.find(';');
    if (semi == std::string_view::npos) return std::string("URL names no message (no ;UID=)");
    std::string_view mbox = rest.substr(0, semi);
    rest.remove_prefix(semi);
    if (istarts_with(rest, ";UIDVALIDITY=")) {
      Piece p;
      if (!next_piece(rest, p) || !nz_number(p.value, u.uidvalidity)) return std::string("Invalid UIDVALIDITY in URL");
    } else {
      if (mbox.empty() || mbox.back() != '/') return std::string("URL names no message (no ;UID=)");
      mbox.remove_suffix(1);
    }
    auto name = percent_decode(mbox);
    if (!name || name->empty()) return std::string("Invalid mailbox in URL");
    u.mailbox = std::move(*name);
  }

  Piece p;
  if (!istarts_with(rest, ";UID=") || !next_piece(rest, p) || !nz_number(p.value, u.uid))
    return std::string("URL names no message (no ;UID=)");
  if (istarts_with(rest, ";SECTION=")) {
    if (!next_piece(rest, p)) return std::string("Invalid SECTION in URL");
    auto sec = percent_decode(p.value);
    if (!sec || sec->empty() || sec->find_first_of("[]<>") != std::string::npos)
      return std::string("Invalid SECTION in URL");
    auto att = parse_fetch_att("BODY[" + *sec + "]");
    auto* a = std::get_if<FetchAtt>(&att);
    if (!a || a->kind != FetchAtt::Kind::body_section || a->partial) return std::string("Invalid SECTION in URL");
    u.has_section = true;
    u.section = a->section;
  }
  if (istarts_with(rest, ";PARTIAL=")) {
    if (!next_piece(rest, p)) return std::string("Invalid PARTIAL in URL");
    std::string_view range = p.value;
    size_t dot = range.find('.');
    uint64_t offset = 0;
    if (!parse_uint(range.substr(0, dot), UINT32_MAX, offset)) return std::string("Invalid PARTIAL in URL");
    if (dot != std::string_view::npos && !nz_number(range.substr(dot + 1), u.partial_length))
      return std::string("Invalid PARTIAL in URL");
    u.has_partial = true;
    u.partial_offset = static_cast<uint32_t>(offset);
  }
  if (istarts_with(rest, ";URLAUTH=") || istarts_with(rest, ";EXPIRE=")) return std::string("URLAUTH is not supported");
  if (!rest.empty()) return std::string("Unexpected text after the message in URL");
  return u;
}

}  // namespace tern::imap
