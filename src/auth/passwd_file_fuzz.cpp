// libFuzzer target: the passwd-file parser. Whatever it accepts must format
// and parse back to the same users.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/user_db.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto users = tern::auth::parse_passwd_file(in, "fuzz");
  if (!users) return 0;
  for (const auto& u : *users) {
    if (!tern::auth::check_user(u).ok()) __builtin_trap();
    std::string line = tern::auth::format_passwd_line(u);
    auto back = tern::auth::parse_passwd_file(line, "fuzz");
    if (!back || back->size() != 1 || tern::auth::format_passwd_line((*back)[0]) != line) __builtin_trap();
  }
  return 0;
}
