// Policy: the smtpd restrictions of one listener, as one object built from
// a configuration snapshot. It answers "may this client do this?":
//   connect: the client IP against smtpd_access_maps (tern's own
//            access(5) tables, checked at every stage as before);
//   MAIL:    the sender against smtpd_access_maps; a client whose
//            smtpd_client_restrictions would only let it in once it
//            authenticates gets 530 5.7.0 Authentication required now;
//   RCPT:    the recipient against smtpd_access_maps, then, as Postfix
//            with smtpd_delay_reject = yes, smtpd_client_restrictions,
//            smtpd_helo_restrictions, smtpd_sender_restrictions,
//            smtpd_relay_restrictions and smtpd_recipient_restrictions in
//            that order (restriction_eval.cpp). A "permit" ends its own list
//            only; a reject ends them all.
// The listener prefix picks the lists: "smtpd" (port 25) reads smtpd_*,
// "submission" (587) and "submissions" (465) read submission_* and
// submissions_*, whose defaults require SMTP AUTH (docs/configuration.md).
//
// SECURITY: addresses and names come from the client; they are only lookup
// keys, never expanded. An unknown restriction or a list that would make an
// open relay is a configuration error, never a silent permit.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "mail/domain_class.h"
#include "maps/cidr.h"
#include "policy/access.h"
#include "policy/recent_logins.h"
#include "policy/restriction.h"

namespace tern::policy {

struct ClientInfo {
  std::string ip;            // "127.0.0.1"
  std::string name = "unknown";  // confirmed host name (smtpd_peername_lookup), else "unknown"
  bool trusted = false;      // in mynetworks, or access OK/RELAY at connect
  bool authenticated = false;  // SMTP AUTH succeeded (sasl_user is then set)
  std::string sasl_user;     // the account that authenticated ("alice@virt.test")
  std::string sasl_method;   // "PLAIN", "LOGIN"
  bool tls = false;          // the session runs over TLS (STARTTLS done, or port 465)
  bool mynetworks = false;   // in mynetworks (set by on_connect; permit_mynetworks)
  bool access_ok = false;    // smtpd_access_maps said OK/RELAY for the IP (set by on_connect)
};

// What RCPT is checked with.
// The owners of a transaction's sender, found at its first RCPT and kept
// for the others (they depend only on the sender): the session keeps one
// per transaction and passes it in RcptContext.
using SenderOwnersMemo = std::optional<std::vector<std::string>>;

struct RcptContext {
  std::string_view helo;       // "" before HELO/EHLO
  std::string_view sender;     // "" for <>
  std::string_view recipient;  // qualified, as the rewriter returned it
  mail::DomainClass recipient_class = mail::DomainClass::remote;
  SenderOwnersMemo* sender_owners = nullptr;  // the transaction's memo, or none
};

// The accounts that own a sender address when smtpd_sender_login_maps is
// empty: roles builds it from the Rewriter (an address is owned by the
// accounts its expansion reaches), since rewrite is policy's neighbour in
// layer 3. Empty: no owner. A temporary error defers the RCPT.
using SenderOwners = std::function<Result<std::vector<std::string>>(const std::string& sender)>;

struct PolicyDeps {
  SenderOwners owners;                          // may be empty: then no address has an owner by default
  std::shared_ptr<const RecentLogins> recent;   // may be null: POP-before-SMTP never permits
};

class Policy {
 public:
  // listener: "smtpd", "submission" or "submissions" (which lists to read).
  // Errors name the parameter, where it was set, and the fix.
  static Result<std::shared_ptr<Policy>> create(const config::Config& cfg, PolicyDeps deps = {},
                                                std::string_view listener = "smtpd");

  bool in_mynetworks(std::string_view ip) const;
  // Fills client.trusted and client.mynetworks; a reject verdict refuses the connection.
  Verdict on_connect(ClientInfo& client) const;
  Verdict on_mail(const ClientInfo& client, std::string_view sender) const;
  Verdict on_rcpt(const ClientInfo& client, const RcptContext& rcpt) const;

  // One restriction with its table opened.
  struct Restriction {
    RestrictionKind kind;
    std::shared_ptr<AccessTables> table;  // the check_*_access kinds
    std::string table_spec;
  };
  struct List {
    // Whose name a plain reject/defer gives ("Client host rejected", ...).
    enum class Of { client, helo, sender, recipient };
    std::string param;  // "smtpd_relay_restrictions", for errors
    Of of = Of::recipient;
    std::vector<Restriction> items;
  };

 private:
  // What one evaluation sees; recipient is empty at MAIL.
  struct Context {
    const ClientInfo& client;
    std::string_view helo, sender, recipient;
    mail::DomainClass recipient_class = mail::DomainClass::remote;
    SenderOwnersMemo* sender_owners = nullptr;
  };
  // Runs one list: dunno (fell off the end), ok (permit), reject or discard.
  Verdict run(const List& list, const Context& ctx) const;
  Verdict check(const Restriction& r, const List& list, const Context& ctx) const;
  Verdict sender_login_mismatch(const Context& ctx) const;
  // The logins owning a sender: from smtpd_sender_login_maps, else deps.owners.
  Result<std::vector<std::string>> owners_of(const std::string& sender) const;

  std::vector<maps::Cidr> mynetworks_;
  std::unique_ptr<AccessTables> access_;  // smtpd_access_maps
  List client_, helo_, sender_, relay_, recipient_;
  std::vector<std::shared_ptr<maps::Table>> login_maps_;  // smtpd_sender_login_maps
  std::string delimiter_;                                  // recipient_delimiter, for login map keys
  PolicyDeps deps_;
  std::chrono::seconds pop_window_{0};                     // pop_before_smtp_timeout
};

}  // namespace tern::policy
