// What a POP3 session needs from the server around it, as interfaces, so
// that it runs the same with no listener at all (unit tests, a fuzz
// target): the settings snapshot (Services, kept by a session to its end so
// a reload does not change a session midway), the clock its deadlines are
// kept in, the password check, the TLS wrap for STLS and port 995, the
// maildrops, the failed-login table shared with SMTP AUTH, and the
// POP-before-SMTP hook. roles/ will build the real one with the listener.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "config/config.h"
#include "io/clock.h"
#include "io/tls_stream.h"
#include "pop3/server/maildrop.h"
#include "policy/recent_logins.h"
#include "sasl/auth_failures.h"
#include "sasl/verifier.h"

namespace tern::pop3 {

class Session;

struct Settings {
  std::string hostname;                   // myhostname, in the greeting
  std::chrono::seconds timeout{600};      // pop3d_timeout: per command (RFC 1939 autologout >= 10 min)
  bool tls_auth_only = true;              // pop3d_tls_auth_only: no USER/PASS/AUTH before TLS but on loopback
  int failure_limit = 10;                 // smtpd_sasl_failure_limit (shared table with SMTP AUTH)
  std::chrono::seconds failure_sleep{1};  // smtpd_sasl_failure_sleep_time
  std::chrono::seconds failure_window{3600};  // smtpd_sasl_failure_window
};

Settings read_settings(const config::Config& c);

struct Services {
  Settings settings;
  std::shared_ptr<sasl::Verifier> verifier;   // null: nobody can log in (-ERR [SYS/TEMP])
  std::shared_ptr<const io::TlsServer> tls;   // null: no STLS, no port 995
  std::shared_ptr<MaildropStore> maildrops;
};

class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual std::shared_ptr<const Services> services() const = 0;
  // Live sessions, so that shutdown can interrupt them.
  virtual void add(Session* s) = 0;
  virtual void remove(Session* s) = 0;
  virtual bool shutting_down() const = 0;
  virtual io::Clock& clock() = 0;
  virtual sasl::AuthFailures& auth_failures() = 0;
  // POP-before-SMTP: record() after each successful login; null: not kept.
  virtual policy::RecentLogins* recent_logins() = 0;
};

}  // namespace tern::pop3
