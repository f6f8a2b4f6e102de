// The parameter table: every main.cf parameter tern knows, with its type,
// Postfix-compatible default and a one-line meaning. It drives defaults,
// value checking, "did you mean" hints and docs/configuration.md.
#include <algorithm>

#include "config/config.h"
#include "config/internal.h"

namespace tern::config {

namespace {

using T = Type;

// myhostname and mydomain are computed in expand.cpp when not set; their
// table default is empty. A function-local static: safe to use from other
// translation units' static initialisers.
const std::vector<ParamDef>& table() {
  static const std::vector<ParamDef> params = {
    // Identity
    {"myhostname", T::string, "", "This host's fully qualified name; default: gethostname()"},
    {"mydomain", T::string, "", "This host's domain; default: $myhostname minus its first label"},
    {"myorigin", T::string, "$myhostname", "Domain appended to bare local sender addresses"},
    {"mail_name", T::string, "tern", "Software name shown in the SMTP banner"},
    {"smtpd_banner", T::string, "$myhostname ESMTP $mail_name", "Text after 220 in the SMTP greeting"},
    {"syslog_name", T::string, "tern", "Program name in log lines"},
    {"maillog_file", T::string, "", "Log destination: empty or \"stderr\", \"/dev/stdout\", \"syslog\", or a file path"},
    // Which mail is ours
    {"mydestination", T::list, "$myhostname, localhost.$mydomain, localhost",
     "Domains delivered locally to UNIX-style mailboxes"},
    {"mynetworks", T::list, "127.0.0.0/8 [::1]/128", "Trusted client networks allowed to relay"},
    {"relay_domains", T::list, "", "Domains this host relays mail to (as a backup MX)"},
    {"virtual_alias_domains", T::list, "", "Domains whose every address is an alias in virtual_alias_maps"},
    {"virtual_alias_maps", T::list, "", "Tables rewriting any recipient address to other addresses"},
    {"virtual_mailbox_domains", T::list, "", "Domains with virtual mailboxes under virtual_mailbox_base"},
    {"virtual_mailbox_base", T::string, "", "Directory holding the virtual mailboxes (Maildir)"},
    // Local delivery
    {"alias_maps", T::list, "", "Alias tables for local recipients (aliases(5) format)"},
    {"alias_database", T::list, "$alias_maps", "Alias tables that `tern newaliases` rebuilds"},
    {"home_mailbox", T::string, "", "Mailbox path relative to the home directory (ends in / for Maildir)"},
    {"mail_spool_directory", T::string, "/var/mail", "Directory of UNIX-style mailboxes when home_mailbox is empty"},
    {"mailbox_command", T::string, "", "Command that delivers local mail instead of tern (e.g. procmail)"},
    {"mailbox_size_limit", T::size, "51200000",
     "Largest mbox file, or single Maildir message, local delivery writes, in bytes (0: no limit)"},
    {"recipient_delimiter", T::string, "", "Characters separating user from extension (user+ext)"},
    {"propagate_unmatched_extensions", T::list, "canonical, virtual",
     "Tables (virtual, alias, include) whose match on the address without its +ext passes the +ext on"},
    {"forward_path", T::string, "$home/.forward${recipient_delimiter}${extension}, $home/.forward",
     "Where a system user's .forward file is looked for, first found wins ($home, $user, $extension, ...)"},
    {"canonical_maps", T::list, "", "Tables rewriting sender and recipient addresses as mail enters the queue (envelope and headers)"},
    {"sender_canonical_maps", T::list, "", "Tables rewriting sender addresses as mail enters the queue, before canonical_maps"},
    {"recipient_canonical_maps", T::list, "", "Tables rewriting recipient addresses as mail enters the queue, before canonical_maps"},
    {"canonical_classes", T::list, "envelope_sender, envelope_recipient, header_sender, header_recipient",
     "Which addresses canonical_maps rewrites"},
    {"sender_canonical_classes", T::list, "envelope_sender, header_sender", "Which addresses sender_canonical_maps rewrites"},
    {"recipient_canonical_classes", T::list, "envelope_recipient, header_recipient",
     "Which addresses recipient_canonical_maps rewrites"},
    {"masquerade_domains", T::list, "", "Domains whose subdomains are stripped from addresses (user@host.example.com -> user@example.com); !domain excepts one"},
    {"masquerade_exceptions", T::list, "", "Local parts never masqueraded (root, mailer-daemon)"},
    {"masquerade_classes", T::list, "envelope_sender, header_sender, header_recipient", "Which addresses masquerade_domains rewrites"},
    {"allow_mail_to_commands", T::list, "alias, forward", "Where |command destinations are allowed"},
    {"allow_mail_to_files", T::list, "alias, forward", "Where /file/name destinations are allowed"},
    {"alias_recursion_limit", T::integer, "1000", "Maximal nesting of aliases and :include: (deeper: bounced 5.4.6)"},
    {"virtual_alias_recursion_limit", T::integer, "100", "Maximal nesting of virtual alias expansion"},
    {"virtual_alias_expansion_limit", T::integer, "1000", "Maximal addresses one virtual alias expands to"},
    {"duplicate_filter_limit", T::integer, "1000",
     "Final targets one message's delivery remembers to deliver each once (0: no limit; past it, duplicates are delivered)"},
    {"delivery_concurrency_limit", T::integer, "8", "Deliveries running at the same time, at acceptance included"},
    {"command_time_limit", T::duration, "1000s", "Time limit for delivery to a command"},
    // Users, privileges, tables
    {"user_database", T::string, "", "Mail users and passwords for IMAP/POP3/submission, e.g. passwd-file:/etc/tern/users"},
    {"mail_owner", T::string, "tern", "Unprivileged account owning the queue; empty: the current user"},
    {"default_privs", T::string, "nobody", "Account for deliveries to commands and files from aliases"},
    {"default_database_type", T::string, "lmdb", "Table type used when a map name has no type: prefix"},
    // Queue
    {"queue_directory", T::string, "/var/spool/tern", "Where queued mail is kept"},
    {"queue_minfree", T::size, "0",
     "Free bytes the queue file system must keep to accept mail (MAIL also needs 1.5 x message_size_limit)"},
    {"message_size_limit", T::size, "10240000", "Largest message accepted, in bytes (suffix k, m, g allowed); 0: no limit (EHLO says SIZE without a number, IMAP APPENDLIMIT without a value; a local submission is still held to 1 GiB)"},
    {"minimal_backoff_time", T::duration, "300s", "Shortest wait before retrying a deferred message"},
    {"maximal_backoff_time", T::duration, "4000s", "Longest wait before retrying a deferred message"},
    {"queue_run_delay", T::duration, "300s", "How often the deferred queue is scanned for messages due for a retry"},
    {"maximal_queue_lifetime", T::duration, "5d", "Age after which undeliverable mail is returned to the sender (4.4.7)"},
    {"bounce_queue_lifetime", T::duration, "5d", "Age after which undeliverable mail from <> (bounces) is given up (to postmaster, then dropped)"},
    {"retry_rules", T::string, "", "Exim-style retry rules (`* * F,2h,15m; G,16h,1h,1.5; F,4d,8h`); empty: the back-off above"},
    {"delay_warning_time", T::duration, "0h", "Age after which the sender gets one \"delayed\" DSN (0: never)"},
    {"bounce_size_limit", T::integer, "50000", "Most bytes of the original message returned in a bounce (more: headers only)"},
    {"2bounce_notice_recipient", T::string, "postmaster", "Who gets a bounce that could not be delivered (a double bounce)"},
    {"hopcount_limit", T::integer, "50", "Most Received: headers before mail is rejected as looping"},
    {"header_size_limit", T::size, "102400", "Largest header section accepted, in bytes (over it: 552 5.3.4)"},
    {"header_line_limit", T::integer, "1000", "Most header lines (fields and continuations) accepted (over it: 552 5.3.4)"},
    {"local_submit_timeout", T::duration, "60s", "Time a sendmail connection to public/submit has to send its whole request"},
    {"local_submit_connection_limit", T::integer, "20", "Most sendmail connections to public/submit served at once; more are refused (try again)"},
    {"shutdown_timeout", T::duration, "10s", "Time allowed for work in progress when stopping"},
    // Listeners (host:port or [ipv6]:port, empty: off)
    {"smtpd_listen", T::address_list, "0.0.0.0:25", "SMTP (MTA to MTA) listening addresses"},
    {"submission_listen", T::address_list, "", "Submission (port 587, STARTTLS + AUTH) listening addresses"},
    {"submissions_listen", T::address_list, "", "Submission over implicit TLS (port 465, RFC 8314) listening addresses; needs a certificate"},
    {"imap_listen", T::address_list, "", "IMAP (port 143, STARTTLS) listening addresses, e.g. 0.0.0.0:143; empty: no IMAP"},
    {"imaps_listen", T::address_list, "", "IMAP over implicit TLS (port 993) listening addresses; needs smtpd_tls_cert_file"},
    {"pop3_listen", T::address_list, "", "POP3 (port 110, STLS) listening addresses, e.g. 0.0.0.0:110; empty: no POP3"},
    {"pop3s_listen", T::address_list, "", "POP3 over implicit TLS (port 995) listening addresses; needs smtpd_tls_cert_file"},
    // TLS for the SMTP server (STARTTLS on smtpd_listen and submission_listen, implicit on submissions_listen)
    {"smtpd_tls_cert_file", T::string, "", "PEM certificate, followed by its chain, for STARTTLS and port 465"},
    {"smtpd_tls_key_file", T::string, "$smtpd_tls_cert_file", "PEM private key for smtpd_tls_cert_file (read as root, before privileges are dropped)"},
    {"smtpd_tls_chain_files", T::list, "",
     "PEM files, each private key followed by its certificate chain (e.g. an RSA and an ECDSA one); overrides cert/key_file"},
    {"smtpd_tls_security_level", T::string, "may",
     "none (no STARTTLS), may (offered when a certificate is set), encrypt (required before MAIL: 530 5.7.0)"},
    {"smtpd_tls_protocols", T::string, ">=TLSv1.2", "TLS versions offered with level may (\">=TLSv1.2\" or \"!SSLv3, !TLSv1\"); never below TLSv1.2"},
    {"smtpd_tls_mandatory_protocols", T::string, ">=TLSv1.2", "TLS versions offered with level encrypt"},
    {"smtpd_tls_ciphers", T::string, "medium", "Cipher grade for TLS 1.2: medium (forward-secret AEAD) or high (256-bit and ChaCha20 only)"},
    {"smtpd_tls_loglevel", T::integer, "0", "0: handshake failures only; 1: also one line per TLS session (version, cipher)"},
    {"smtpd_tls_received_header", T::boolean, "no", "Put the TLS version and cipher in the Received: header"},
    {"smtpd_tls_session_cache_timeout", T::duration, "3600s",
     "Life of a session ticket key: a new one every period, the previous still accepted for one more"},
    {"tls_server_sni_maps", T::list, "",
     "Tables mapping a server name (or .domain for names below it) to PEM files: key then chain, as smtpd_tls_chain_files"},
    // SMTP server limits and policy
    {"smtpd_access_maps", T::list, "",
     "Sendmail access(5) format tables checked at connect, MAIL FROM and RCPT TO"},
    // Restriction lists (Postfix's names and semantics; evaluated at RCPT,
    // as with Postfix's smtpd_delay_reject = yes)
    {"smtpd_client_restrictions", T::list, "", "Restrictions on the client IP (evaluated at RCPT TO)"},
    {"smtpd_helo_restrictions", T::list, "", "Restrictions on the HELO/EHLO name (evaluated at RCPT TO)"},
    {"smtpd_sender_restrictions", T::list, "", "Restrictions on the MAIL FROM address (evaluated at RCPT TO)"},
    {"smtpd_relay_restrictions", T::list, "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
     "Relay control at RCPT TO: who may send to domains that are not ours"},
    {"smtpd_recipient_restrictions", T::list, "", "Restrictions at RCPT TO, after smtpd_relay_restrictions"},
    {"smtpd_sender_login_maps", T::list, "",
     "Tables: sender address -> the logins that own it (empty: an account owns its address and the aliases that reach it)"},
    {"pop_before_smtp_timeout", T::duration, "30m",
     "How long after a POP3/IMAP login permit_pop_before_smtp lets the client's address relay"},
    // Per-listener restriction lists: port 587 (submission_listen) and port
    // 465 (submissions_listen) read these instead of the smtpd_ ones.
    {"submission_client_restrictions", T::list, "permit_sasl_authenticated, reject",
     "smtpd_client_restrictions for submission_listen (port 587): AUTH required"},
    {"submission_helo_restrictions", T::list, "$smtpd_helo_restrictions", "smtpd_helo_restrictions for submission_listen"},
    {"submission_sender_restrictions", T::list, "reject_sender_login_mismatch, $smtpd_sender_restrictions",
     "smtpd_sender_restrictions for submission_listen: a login sends only as its own addresses"},
    {"submission_relay_restrictions", T::list, "permit_sasl_authenticated, reject",
     "smtpd_relay_restrictions for submission_listen"},
    {"submission_recipient_restrictions", T::list, "$smtpd_recipient_restrictions",
     "smtpd_recipient_restrictions for submission_listen"},
    {"submission_sasl_auth_enable", T::boolean, "yes",
     "smtpd_sasl_auth_enable for submission_listen (port 587): AUTH offered, as Postfix's master.cf submission entry"},
    {"submissions_sasl_auth_enable", T::boolean, "yes", "smtpd_sasl_auth_enable for submissions_listen (port 465)"},
    {"submissions_client_restrictions", T::list, "$submission_client_restrictions",
     "smtpd_client_restrictions for submissions_listen (port 465)"},
    {"submissions_helo_restrictions", T::list, "$submission_helo_restrictions", "smtpd_helo_restrictions for submissions_listen"},
    {"submissions_sender_restrictions", T::list, "$submission_sender_restrictions",
     "smtpd_sender_restrictions for submissions_listen"},
    {"submissions_relay_restrictions", T::list, "$submission_relay_restrictions",
     "smtpd_relay_restrictions for submissions_listen"},
    {"submissions_recipient_restrictions", T::list, "$submission_recipient_restrictions",
     "smtpd_recipient_restrictions for submissions_listen"},
    {"smtpd_recipient_limit", T::integer, "1000", "Most recipients accepted per message"},
    {"smtpd_timeout", T::duration, "300s", "Time to wait for a client command or data"},
    {"smtpd_hard_error_limit", T::integer, "20", "Errors after which a client is disconnected"},
    {"smtpd_soft_error_limit", T::integer, "10", "Errors after which each reply is delayed"},
    {"smtpd_junk_command_limit", T::integer, "100",
     "NOOP, RSET, VRFY, EXPN and HELP commands after which each one counts as an error"},
    {"smtpd_error_sleep_time", T::duration, "1s", "Delay per error beyond the soft error limit, before each reply (so it grows)"},
    {"smtpd_client_connection_count_limit", T::integer, "50", "Simultaneous connections from one client"},
    {"smtpd_max_connections", T::integer, "1000", "Simultaneous SMTP connections in total"},
    {"smtpd_command_line_limit", T::integer, "4096", "Longest SMTP command line accepted, in bytes"},
    {"smtpd_helo_required", T::boolean, "no", "Require HELO or EHLO before MAIL FROM"},
    {"smtpd_peername_lookup", T::boolean, "yes", "Look up the client's name (reverse lookup confirmed by a forward lookup) before the greeting; no: every client is unknown"},
    {"smtpd_forbid_bare_newline", T::string, "yes",
     "Bare LF in SMTP: yes (reject, stops smuggling) or normalize (accept as CRLF)"},
    {"disable_vrfy_command", T::boolean, "yes", "Refuse the VRFY command (hides which addresses exist)"},
    {"smtputf8_enable", T::boolean, "yes", "Offer SMTPUTF8 (internationalized addresses)"},
    // SMTP AUTH
    {"smtpd_sasl_auth_enable", T::boolean, "no",
     "Offer SMTP AUTH on port 25 (the submission ports: submission_sasl_auth_enable); needs user_database"},
    {"smtpd_tls_auth_only", T::boolean, "yes", "Offer and accept AUTH only over TLS (538 5.7.11 before it)"},
    {"smtpd_sasl_failure_limit", T::integer, "10",
     "Failed AUTH attempts from one client address (within smtpd_sasl_failure_window) after which it gets 421 and is disconnected; 0: no limit"},
    {"smtpd_sasl_failure_sleep_time", T::duration, "1s",
     "Delay before a failed AUTH's 535, doubled for each earlier failure from the same address (at most 64 times)"},
    {"smtpd_sasl_failure_window", T::duration, "1h",
     "An address's failed AUTH attempts are forgotten after this long without a new one"},
    {"auth_cache_size", T::size, "1m",
     "Memory for remembering logins proven recently (Dovecot's auth_cache_size), so a repeat login skips the slow password hash; 0: off"},
    {"auth_cache_ttl", T::duration, "1h",
     "How long a proven login is remembered; a changed or locked password in user_database is never matched by it"},
    {"quota_rule", T::string, "",
     "Quota of every virtual account, in Dovecot's quota_rule syntax (*:storage=1G, *:messages=10000); a passwd-file line's userdb_quota_rule=... overrides it; empty: no quota"},
    // POP3 server (issue 10); its failed logins count with SMTP AUTH's (smtpd_sasl_failure_*)
    {"pop3d_timeout", T::duration, "600s", "Time a POP3 client may take for each command (RFC 1939: at least 10 minutes)"},
    {"pop3d_tls_auth_only", T::boolean, "yes",
     "Accept POP3 USER/PASS and AUTH only over TLS or from loopback (Dovecot's disable_plaintext_auth); -ERR [AUTH] before it"},
    // IMAP server; its failed logins count with SMTP AUTH's (smtpd_sasl_failure_*), APPEND is bounded by message_size_limit
    {"imapd_timeout", T::duration, "1800s",
     "Time an IMAP client may take for each command and stay in IDLE (RFC 9051: autologout at least 30 minutes)"},
    {"imap_threads", T::integer, "0",
     "Event loops (threads) serving IMAP sessions, so a session waiting on the disk holds up only its own loop's; 0: 64 per CPU core, at most 256; read at start only"},
    {"imap_processes", T::integer, "1",
     "Processes accepting IMAP connections, each with its own open file limit: more than one lets a site hold more sessions than one process's limit allows; 1 to 64; read at start only"},
    {"imap_message_cache_size", T::size, "64m",
     "Memory for the headers, ENVELOPE and BODYSTRUCTURE of messages IMAP clients fetched, shared by all sessions, so a repeat fetch reads no file; 0: off"},
    {"mail_fsync", T::string, "optimized",
     "When IMAP and POP3 fsync a mailbox (Dovecot's parameter): optimized, before a message is acknowledged (APPEND, COPY, delivery); always, after expunges and flag changes too"},
    {"mail_max_userip_connections", T::integer, "10",
     "IMAP sessions one user may have logged in from one client address at once (Dovecot's parameter and default); one more gets NO [LIMIT]; 0: no limit"},
    {"imapd_tls_auth_only", T::boolean, "yes",
     "Accept IMAP LOGIN and AUTHENTICATE only over TLS or from loopback (Dovecot's disable_plaintext_auth); LOGINDISABLED and NO [PRIVACYREQUIRED] before it"},
    // Remote delivery: DNS (the dns module; issue 9)
    {"dns_resolver", T::string, "",
     "DNS server for MX lookups and client names, host:port (e.g. 127.0.0.1:5353); empty: the nameservers of /etc/resolv.conf"},
    {"dns_query_timeout", T::duration, "10s", "Time limit for one DNS query; past it the lookup fails with \"try again\""},
    {"smtp_address_preference", T::string, "any",
     "Address family tried first among hosts of equal MX preference: ipv4, ipv6 or any (random)"},
    {"smtp_mx_address_limit", T::integer, "5", "Most addresses a route to a destination holds (0: no limit)"},
    {"smtp_mx_session_limit", T::integer, "2", "Most SMTP sessions tried per delivery attempt to one destination"},
    // Remote delivery: the SMTP client (smtp/client, tls/client_context; issue 9)
    {"smtp_helo_name", T::string, "$myhostname", "Host name the SMTP client sends in EHLO and HELO"},
    {"smtp_connect_timeout", T::duration, "30s", "Time limit for making a TCP connection to a remote server"},
    {"smtp_helo_timeout", T::duration, "300s", "Time limit for the remote server's greeting and its EHLO/HELO (and AUTH) replies"},
    {"smtp_mail_timeout", T::duration, "300s", "Time limit for the reply to MAIL FROM"},
    {"smtp_rcpt_timeout", T::duration, "300s", "Time limit for the reply to each RCPT TO"},
    {"smtp_data_init_timeout", T::duration, "120s", "Time limit for the reply to DATA"},
    {"smtp_data_xfer_timeout", T::duration, "180s", "Time limit for sending each piece of the message content"},
    {"smtp_data_done_timeout", T::duration, "600s", "Time limit for the reply to the end of the content (\".\" or the last BDAT)"},
    {"smtp_starttls_timeout", T::duration, "300s", "Time limit for the STARTTLS reply and the TLS handshake"},
    {"smtp_quit_timeout", T::duration, "300s", "Time limit for the reply to QUIT"},
    {"smtp_discard_ehlo_keywords", T::list, "",
     "EHLO keywords the SMTP client ignores in a server's reply (pipelining, chunking, dsn, size, 8bitmime, smtputf8, starttls, auth)"},
    {"smtp_sasl_security_options", T::list, "noplaintext, noanonymous",
     "With noplaintext the SMTP client never sends a password (AUTH PLAIN/LOGIN) outside TLS"},
    {"smtp_tls_security_level", T::string, "may", "SMTP client TLS: none, may (STARTTLS when offered), encrypt, verify"},
    {"smtp_tls_CAfile", T::string, "", "PEM file of CA certificates the SMTP client verifies servers with; empty (and no CApath): the system store"},
    {"smtp_tls_CApath", T::string, "", "Directory of CA certificates (c_rehash form) the SMTP client verifies servers with"},
    {"smtp_tls_protocols", T::string, ">=TLSv1.2", "TLS versions the SMTP client offers at level may"},
    {"smtp_tls_mandatory_protocols", T::string, ">=TLSv1.2", "TLS versions the SMTP client offers at levels encrypt and verify"},
    {"smtp_tls_ciphers", T::string, "medium", "SMTP client cipher grade for TLS 1.2: medium or high"},
    {"smtp_tls_loglevel", T::integer, "0", "0: SMTP client TLS failures only; 1: also one line per TLS session (trust, version, cipher)"},
    {"smtp_tls_policy_maps", T::list, "", "Tables of per-destination SMTP client TLS levels (example.com encrypt, [mx.example.com]:587 verify)"},
    // Remote delivery: transports and the SMTP client's use of them (remote/)
    {"relayhost", T::string, "", "Next hop for all remote mail ([host]:port, or a domain by MX); empty: each recipient's domain by MX"},
    {"transport_maps", T::list, "", "Tables choosing the transport and next hop per address or domain (smtp:[host]:port, error:text, discard:)"},
    {"default_transport", T::string, "smtp", "Transport for remote recipients without a transport_maps entry"},
    {"smtp_destination_recipient_limit", T::integer, "50", "Most recipients one SMTP transaction carries"},
    {"default_destination_concurrency_limit", T::integer, "20", "Most deliveries to one destination at the same time"},
    {"smtp_destination_concurrency_limit", T::integer, "$default_destination_concurrency_limit", "Most SMTP sessions to one destination (next hop) at the same time"},
    {"default_process_limit", T::integer, "100", "Most SMTP client sessions at the same time, all destinations together"},
    {"qmgr_message_active_limit", T::integer, "20000", "Most messages in the middle of a delivery pass (waiting for remote sessions) at the same time"},
    {"smtp_connection_cache_on_demand", T::boolean, "yes", "Keep an SMTP connection open after a delivery for the next message to the same destination"},
    {"smtp_connection_cache_time_limit", T::duration, "2s", "How long an unused cached SMTP connection stays open"},
    {"smtp_connection_reuse_time_limit", T::duration, "300s", "No new transaction on a cached connection older than this"},
    {"smtp_connection_reuse_count_limit", T::integer, "0", "Most transactions on one cached connection; 0: no limit"},
    {"smtp_sasl_auth_enable", T::boolean, "no", "Authenticate to remote servers whose credentials smtp_sasl_password_maps holds"},
    {"smtp_sasl_password_maps", T::list, "", "Tables of user:password by [host]:port, host or domain of the next hop"},
  };
  return params;
}

}  // namespace

const std::vector<ParamDef>& param_table() { return table(); }

const ParamDef* find_param(std::string_view name) {
  for (const auto& p : table())
    if (p.name == name) return &p;
  return nullptr;
}

std::string nearest_param(std::string_view name) {
  const ParamDef* best = nullptr;
  size_t best_d = 0;
  for (const auto& p : table()) {
    // The length difference is a lower bound on the distance: skip early.
    size_t diff = name.size() > p.name.size() ? name.size() - p.name.size() : p.name.size() - name.size();
    if (best && diff >= best_d) continue;
    size_t d = detail::edit_distance(name, p.name);
    if (!best || d < best_d) best = &p, best_d = d;
  }
  return best ? std::string(best->name) : std::string();
}

std::string nearest_word(std::string_view word, const std::vector<std::string_view>& choices) {
  std::string_view best;
  size_t best_d = 0;
  for (auto c : choices) {
    size_t d = detail::edit_distance(word, c);
    if (best.empty() || d < best_d) best = c, best_d = d;
  }
  if (best.empty() || best_d * 3 > best.size()) return {};
  return std::string(best);
}

namespace detail {

std::vector<std::string_view> param_choices(std::string_view name) {
  if (name == "smtpd_forbid_bare_newline") return {"yes", "normalize"};
  if (name == "smtpd_tls_security_level") return {"none", "may", "encrypt"};
  if (name == "smtpd_tls_ciphers" || name == "smtp_tls_ciphers") return {"medium", "high"};
  if (name == "smtp_address_preference") return {"ipv4", "ipv6", "any"};
  if (name == "mail_fsync") return {"optimized", "always"};
  return {};
}

size_t edit_distance(std::string_view a, std::string_view b) {
  // Two-row Levenshtein; inputs are parameter names, so short. Cap the work
  // for fuzzed names: beyond 256 characters nothing is a useful suggestion.
  if (a.size() > 256) a = a.substr(0, 256);
  if (b.size() > 256) b = b.substr(0, 256);
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    char ca = lower(a[i - 1]);
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t best = prev[j - 1] + (ca == lower(b[j - 1]) ? 0 : 1);
      if (prev[j] + 1 < best) best = prev[j] + 1;
      if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
      cur[j] = best;
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace detail
}  // namespace tern::config
