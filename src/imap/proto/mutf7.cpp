// Modified UTF-7 encoder and strict decoder (mutf7.h).
#include "imap/proto/mutf7.h"

#include <cstdint>
#include <vector>

namespace tern::imap {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

bool direct(uint32_t cp) { return cp >= 0x20 && cp <= 0x7e; }

// Decodes one UTF-8 code point at s[i]; advances i. False when invalid.
bool next_code_point(std::string_view s, size_t& i, uint32_t& cp) {
  auto b = static_cast<unsigned char>(s[i]);
  int len;
  uint32_t min;
  if (b < 0x80) {
    cp = b;
    ++i;
    return true;
  } else if ((b & 0xe0) == 0xc0) {
    len = 2, min = 0x80, cp = b & 0x1f;
  } else if ((b & 0xf0) == 0xe0) {
    len = 3, min = 0x800, cp = b & 0x0f;
  } else if ((b & 0xf8) == 0xf0) {
    len = 4, min = 0x10000, cp = b & 0x07;
  } else {
    return false;
  }
  if (i + static_cast<size_t>(len) > s.size()) return false;
  for (int k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
    if ((c & 0xc0) != 0x80) return false;
    cp = (cp << 6) | (c & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
  i += static_cast<size_t>(len);
  return true;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

void flush_base64(std::string& out, std::vector<uint16_t>& units) {
  if (units.empty()) return;
  out += '&';
  uint32_t acc = 0;
  int bits = 0;
  for (uint16_t u : units) {
    acc = (acc << 16) | u;
    bits += 16;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 0x3f];
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 0x3f];
  out += '-';
  units.clear();
}

}  // namespace

bool valid_utf8(std::string_view s) {
  uint32_t cp;
  for (size_t i = 0; i < s.size();)
    if (!next_code_point(s, i, cp)) return false;
  return true;
}

std::optional<std::string> mutf7_encode(std::string_view utf8) {
  std::string out;
  std::vector<uint16_t> units;
  for (size_t i = 0; i < utf8.size();) {
    uint32_t cp;
    if (!next_code_point(utf8, i, cp)) return std::nullopt;
    if (direct(cp)) {
      flush_base64(out, units);
      out += cp == '&' ? "&-" : std::string(1, static_cast<char>(cp));
    } else if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push_back(static_cast<uint16_t>(0xd800 + (cp >> 10)));
      units.push_back(static_cast<uint16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      units.push_back(static_cast<uint16_t>(cp));
    }
  }
  flush_base64(out, units);
  return out;
}

std::optional<std::string> mutf7_decode(std::string_view in) {
  std::string out;
  bool after_base64 = false;  // the previous item was an encoded run
  for (size_t i = 0; i < in.size();) {
    char c = in[i];
    if (!direct(static_cast<unsigned char>(c))) return std::nullopt;
    if (c != '&') {
      out += c;
      ++i;
      after_base64 = false;
      continue;
    }
    size_t end = in.find('-', i + 1);
    if (end == std::string_view::npos) return std::nullopt;  // unterminated
    if (end == i + 1) {  // "&-" is "&"
      out += '&';
      i = end + 1;
      after_base64 = false;
      continue;
    }
    if (after_base64) return std::nullopt;  // two runs where one would do
    uint32_t acc = 0;
    int bits = 0;
    uint32_t high = 0;  // a pending high surrogate
    for (size_t k = i + 1; k < end; ++k) {
      int v = b64_value(in[k]);
      if (v < 0) return std::nullopt;
      acc = (acc << 6) | static_cast<uint32_t>(v);
      bits += 6;
      if (bits < 16) continue;
      bits -= 16;
      auto unit = static_cast<uint16_t>((acc >> bits) & 0xffff);
      acc &= (1u << bits) - 1;
      if (high) {
        if (unit < 0xdc00 || unit > 0xdfff) return std::nullopt;
        append_utf8(out, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
        high = 0;
      } else if (unit >= 0xd800 && unit <= 0xdbff) {
        high = unit;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        return std::nullopt;  // a low surrogate alone
      } else if (direct(unit)) {
        return std::nullopt;  // printable ASCII must represent itself
      } else {
        append_utf8(out, unit);
      }
    }
    // Canonical end: fewer than 6 leftover bits, all zero; no half pair.
    if (high || bits >= 6 || acc != 0) return std::nullopt;
    i = end + 1;
    after_base64 = true;
  }
  return out;
}

}  // namespace tern::imap
