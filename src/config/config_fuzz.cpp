// libFuzzer target for main.cf parsing and $name expansion: arbitrary bytes
// must never crash, hang or grow without bound, with or without errors.
#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = tern::config::load_string(text, "fuzz.cf");
  for (const auto& d : r.diagnostics) (void)d.to_string();
  if (!r.config) return 0;
  for (const auto& [name, value] : r.config->raw()) {
    (void)r.config->get(name);
    (void)r.config->list(name);
    (void)r.config->origin(name);
  }
  (void)r.config->integer("message_size_limit");
  (void)r.config->seconds("smtpd_timeout");
  (void)r.config->boolean("smtputf8_enable");
  return 0;
}
