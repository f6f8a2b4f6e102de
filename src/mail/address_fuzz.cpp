// libFuzzer target: parse_path on bare addresses (require_brackets off), as
// sendmail(1) arguments and -t headers reach it. Checks that an accepted
// address holds no control byte, and that it round-trips: formatting it and
// parsing the result gives the same address, with or without brackets.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mail/address.h"

namespace {

bool has_control(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (int variant = 0; variant < 4; ++variant) {
    tern::mail::PathOptions po;
    po.require_brackets = false;
    po.allow_utf8 = variant & 1;
    po.allow_no_domain = variant & 2;
    auto a = tern::mail::parse_path(in, po);
    if (!a) continue;
    std::string s = a->str();
    if (has_control(a->local) || has_control(a->domain) || has_control(s)) __builtin_trap();
    if (s.size() > size + 2) __builtin_trap();  // at most quotes added
    auto again = tern::mail::parse_path(s, po);
    if (!again || !(*again == *a)) __builtin_trap();
    tern::mail::PathOptions bracketed = po;
    bracketed.require_brackets = true;
    auto b = tern::mail::parse_path("<" + s + ">", bracketed);
    if (!b || !(*b == *a)) __builtin_trap();
  }
  return 0;
}
