// The embedded demo main.cf: what `tern serve --demo` runs with, so the
// README's first command works unprivileged, on high ports, with all state
// under ./var and nothing reachable from outside this machine.
#include "config/config.h"

namespace tern::config {

std::string_view embedded_demo_config() {
  return R"(# tern demo configuration (tern serve --demo).
# Unprivileged: high ports on 127.0.0.1, state under ./var relative to the
# directory tern was started in. Not for production: see docs/configuration.md.

myhostname = mail.demo.test
mydomain = demo.test
mydestination = localhost
mynetworks = 127.0.0.0/8

# Mail for @demo.test goes to Maildirs under ./var/mail.
virtual_mailbox_domains = demo.test
virtual_mailbox_base = ./var/mail
user_database = passwd-file:./var/users
alias_maps = texthash:./var/aliases
queue_directory = ./var/queue

# Empty maillog_file: log to stderr. Empty mail_owner: run as the current
# user instead of switching to the "tern" account.
maillog_file =
mail_owner =

# SMTP on 2525, submission on 2587 (both with STARTTLS) and submission over
# TLS on 2465; POP3 on 2110 (STLS) and POP3 over TLS on 2995; IMAP is off.
smtpd_listen = 127.0.0.1:2525
submission_listen = 127.0.0.1:2587
submissions_listen = 127.0.0.1:2465
pop3_listen = 127.0.0.1:2110
pop3s_listen = 127.0.0.1:2995

# A self-signed certificate, made on the first start (key mode 0600).
smtpd_tls_cert_file = ./var/tls/cert.pem
smtpd_tls_key_file = ./var/tls/key.pem
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
imap_listen =
imaps_listen =
)";
}

}  // namespace tern::config
