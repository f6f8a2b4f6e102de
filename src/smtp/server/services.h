// Services: what an SMTP session uses, taken as one immutable snapshot when
// the session starts. SIGHUP builds a new snapshot (new configuration,
// reopened tables) and sessions already running keep the one they began
// with, so a reload never drops a session.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "io/tls_stream.h"
#include "policy/policy.h"
#include "rewrite/canonical.h"
#include "rewrite/rewriter.h"
#include "sasl/verifier.h"

namespace tern::smtp {

// What a limit-aware session needs from the configuration, read once per
// snapshot rather than per connection.
struct SessionLimits {
  size_t command_line_bytes = 4096;
  uint64_t message_bytes = 10240000;
  size_t recipients = 1000;
  int soft_errors = 10;
  int hard_errors = 20;
  int junk_commands = 100;  // smtpd_junk_command_limit
  std::chrono::milliseconds error_sleep{1000};
  std::chrono::seconds timeout{300};
  int hopcount = 50;
  uint64_t header_bytes = 102400;  // header_size_limit
  uint64_t header_lines = 1000;    // header_line_limit
  uint64_t queue_minfree = 0;      // bytes the queue file system keeps free
  bool normalize_bare_newline = false;
  bool vrfy_enabled = false;
  bool helo_required = false;
  bool peername_lookup = true;  // smtpd_peername_lookup
  bool smtputf8 = true;
  // SMTP AUTH (cmd_auth.cpp). sasl_auth_enable is the value for port 25;
  // a listener may override it (submission ports turn it on, as the
  // submission entries of Postfix's master.cf do with -o).
  bool sasl_auth_enable = false;   // smtpd_sasl_auth_enable
  bool tls_auth_only = true;       // smtpd_tls_auth_only
  int sasl_failure_limit = 10;     // smtpd_sasl_failure_limit (0: no limit)
  std::chrono::seconds sasl_failure_sleep{1};     // smtpd_sasl_failure_sleep_time
  std::chrono::seconds sasl_failure_window{3600};  // smtpd_sasl_failure_window
  std::string hostname;
  std::string banner;
  // TLS (smtpd_tls_*): whether STARTTLS is offered when a certificate is
  // set (security level may or encrypt), required before mail (encrypt),
  // logged per session (loglevel >= 1) and shown in Received:.
  bool tls_offered = true;
  bool tls_required = false;
  int tls_loglevel = 0;
  bool tls_received_header = false;
};

// Reads the session limits from a configuration (once per snapshot).
SessionLimits read_limits(const config::Config& c);

struct Services {
  std::shared_ptr<const config::Config> cfg;
  std::shared_ptr<policy::Policy> policy;
  std::shared_ptr<rewrite::Rewriter> rewriter;
  SessionLimits limits;
  long long per_client_connections = 0;  // smtpd_client_connection_count_limit
  long long max_connections = 0;         // smtpd_max_connections
  // The server side of TLS, null when no certificate is configured. A
  // session upgrades with the one of its own snapshot, so a reload with a
  // new certificate changes only sessions that start after it.
  std::shared_ptr<const io::TlsServer> tls = nullptr;
  // What a session on port 587 (submission) or 465 (submissions) uses
  // instead: the same snapshot seen through that listener's overrides
  // (cfg where each submission_X replaces smtpd_X, its own policy and
  // limits; roles/services.cpp builds them). Null: the listener behaves as
  // this one (tests, the fuzz harness).
  std::shared_ptr<const Services> submission = nullptr;
  std::shared_ptr<const Services> submissions = nullptr;
  // Checks AUTH passwords off the event loop; null: AUTH not offered (no
  // user_database).
  std::shared_ptr<sasl::Verifier> verifier = nullptr;
  // Cleanup-time rewriting (canonical maps, masquerading) of every message
  // entering the queue; the submission listener uses the main snapshot's.
  std::shared_ptr<const rewrite::Canonical> canonical = nullptr;
};

}  // namespace tern::smtp
