// How the tls module words a configuration error: the parameter, where it
// was set (main.cf:LINE) and what is wrong, with the fix in `detail`.
// Shared by the server and client contexts.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "config/config.h"

namespace tern::tls {

// "main.cf:12: smtpd_tls_key_file: ..." (or "smtpd_tls_key_file: ..." when it is a default).
inline Error config_error(const config::Config& cfg, std::string_view param, const std::string& detail) {
  return cfg.error(param, detail);
}

}  // namespace tern::tls
