// Fuzz target for HeaderLimiter: the verdict and counts must not depend on
// how the content is split into chunks, must agree with
// parse_header_section when no limit is hit, and must respect the limits.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/header_limit.h"
#include "mail/headers.h"

using tern::mail::HeaderLimiter;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  uint64_t max_bytes = data[0] * 4u + 1, max_lines = data[1] % 64u + 1;
  size_t chunk = data[2] % 17u + 1;
  std::string_view c(reinterpret_cast<const char*>(data) + 3, size - 3);
  HeaderLimiter whole(max_bytes, max_lines), split(max_bytes, max_lines);
  whole.feed(c);
  for (size_t i = 0; i < c.size(); i += chunk) split.feed(c.substr(i, chunk));
  if (whole.verdict() != split.verdict() || whole.lines() != split.lines()) __builtin_trap();
  if (whole.lines() > max_lines + 1) __builtin_trap();
  if (!whole.over() && (whole.bytes() != split.bytes() || whole.bytes() > max_bytes)) __builtin_trap();
  HeaderLimiter unlimited(UINT64_MAX, UINT64_MAX);
  unlimited.feed(c);
  auto sec = tern::mail::parse_header_section(c, SIZE_MAX);
  uint64_t end = sec.fields.empty() ? 0 : sec.fields.back().end;
  if (unlimited.bytes() != end) __builtin_trap();
  return 0;
}
