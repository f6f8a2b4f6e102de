// What an IMAP session needs from the server around it, as interfaces, so
// that it runs the same with no listener at all (unit tests, a fuzz
// target): the settings snapshot (Services, kept by a session to its end so
// a reload does not change a session midway), the clock its deadlines are
// kept in, the password check, the TLS wrap for STARTTLS and port 993, the
// accounts' mail stores, the MIME seam (message_structure.h), the failed-
// login table shared with SMTP AUTH and POP3, and the POP-before-SMTP hook.
// roles/ will build the real one with the listener.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"
#include "config/config.h"
#include "imap/server/message_cache.h"
#include "imap/server/message_structure.h"
#include "imap/server/user_ip_counts.h"
#include "io/clock.h"
#include "io/tls_stream.h"
#include "policy/recent_logins.h"
#include "sasl/auth_failures.h"
#include "sasl/verifier.h"
#include "store/mailbox.h"
#include "store/quota.h"

namespace tern::imap {

class Session;

struct Settings {
  std::string hostname;                        // myhostname, in the greeting
  std::chrono::seconds timeout{1800};          // imapd_timeout: per command and IDLE (RFC 9051: autologout >= 30 min)
  bool tls_auth_only = true;                   // imapd_tls_auth_only: LOGINDISABLED before TLS but on loopback
  uint64_t max_append_bytes = 10240000;        // message_size_limit: the largest APPEND literal
  int failure_limit = 10;                      // smtpd_sasl_failure_limit (shared with SMTP AUTH, POP3)
  std::chrono::seconds failure_sleep{1};       // smtpd_sasl_failure_sleep_time
  std::chrono::seconds failure_window{3600};   // smtpd_sasl_failure_window
  std::chrono::seconds idle_poll{30};          // how often IDLE looks at the mailbox (Dovecot: 30 s)
  uint64_t message_cache_bytes = 64u << 20;    // imap_message_cache_size (message_cache.h); 0: off
  size_t max_userip_connections = 10;          // mail_max_userip_connections (user_ip_counts.h); 0: no limit
};

Settings read_settings(const config::Config& c);

// One logged-in user's mail.
struct Account {
  std::unique_ptr<store::MailStore> store;
  // The subscriptions file (Maildir root/"subscriptions"); "" keeps them
  // for the session only.
  std::string subscriptions_path;
  // The account's Maildir root and quota rule (store/quota.h; none: no
  // limit), for APPEND, COPY and GETQUOTA.
  std::string root;
  store::QuotaRule quota;
};

class AccountOpener {
 public:
  virtual ~AccountOpener() = default;
  // The user as the verifier named it. A temporary error: NO [UNAVAILABLE].
  virtual Result<Account> open(const std::string& user) = 0;
};

struct Services {
  Settings settings;
  std::shared_ptr<sasl::Verifier> verifier;           // null: nobody can log in (NO [UNAVAILABLE])
  std::shared_ptr<const io::TlsServer> tls;           // null: no STARTTLS, no port 993
  std::shared_ptr<AccountOpener> accounts;
  std::shared_ptr<const MessageParser> structure;     // null: ENVELOPE, BODYSTRUCTURE, MIME parts get NO
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
  // A slot lets a waiting session keep its folder's directory handles (four
  // descriptors) rather than reopen them at the next command; false: no
  // slot is free, close them. The budget is the server's to draw from its
  // descriptor limit; by default there is none.
  virtual bool take_handle_slot() { return false; }
  virtual void return_handle_slot() {}
  // The process's cache of parsed messages; null: none.
  virtual MessageCache* message_cache() { return nullptr; }
  // Logged-in sessions per user and client address; null: not counted.
  virtual UserIpCounts* user_ip_counts() { return nullptr; }
};

}  // namespace tern::imap
