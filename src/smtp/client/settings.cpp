// read_settings: the SMTP client's part of main.cf (see client.h).
#include <algorithm>

#include "base/strings.h"
#include "smtp/client/client.h"

namespace tern::smtp::client {

Settings read_settings(const config::Config& cfg) {
  Settings s;
  s.helo_name = cfg.get("smtp_helo_name");
  auto secs = [&](const char* name) { return std::chrono::seconds(cfg.seconds(name)); };
  s.connect_timeout = secs("smtp_connect_timeout");
  s.helo_timeout = secs("smtp_helo_timeout");
  s.mail_timeout = secs("smtp_mail_timeout");
  s.rcpt_timeout = secs("smtp_rcpt_timeout");
  s.data_init_timeout = secs("smtp_data_init_timeout");
  s.data_xfer_timeout = secs("smtp_data_xfer_timeout");
  s.data_done_timeout = secs("smtp_data_done_timeout");
  s.starttls_timeout = secs("smtp_starttls_timeout");
  s.quit_timeout = secs("smtp_quit_timeout");
  s.tls_loglevel = static_cast<int>(cfg.integer("smtp_tls_loglevel"));
  for (const auto& k : cfg.list("smtp_discard_ehlo_keywords")) s.discard_ehlo_keywords.push_back(str::lower(k));
  auto discarded = [&](std::string_view k) {
    return std::find(s.discard_ehlo_keywords.begin(), s.discard_ehlo_keywords.end(), k) != s.discard_ehlo_keywords.end();
  };
  s.pipelining = !discarded("pipelining");
  s.chunking = !discarded("chunking");
  auto opts = cfg.list("smtp_sasl_security_options");
  s.auth_needs_tls = std::any_of(opts.begin(), opts.end(), [](const std::string& o) { return str::lower(o) == "noplaintext"; });
  return s;
}

}  // namespace tern::smtp::client
