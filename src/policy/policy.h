// Policy: the smtpd restrictions, per stage, as one object built from a
// configuration snapshot. It answers "may this client do this?":
//   connect: the client IP against the access tables;
//   MAIL:    the sender against the access tables;
//   RCPT:    the recipient against the access tables, then relay control:
//            mail for local, virtual and relay_domains is accepted from
//            anywhere; mail for any other domain only from mynetworks, a
//            client or recipient domain the access table marks OK/RELAY, or
//            (a later issue) an authenticated client. Otherwise
//            554 5.7.1 Relay access denied.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "mail/domain_class.h"
#include "maps/cidr.h"
#include "policy/access.h"

namespace tern::policy {

struct ClientInfo {
  std::string ip;            // "127.0.0.1"
  bool trusted = false;      // in mynetworks, or access OK/RELAY at connect
  bool authenticated = false;  // SMTP AUTH succeeded (sasl_user is then set)
  std::string sasl_user;     // the account that authenticated ("alice@virt.test")
  std::string sasl_method;   // "PLAIN", "LOGIN"
  bool tls = false;          // the session runs over TLS (STARTTLS done, or port 465)
};

class Policy {
 public:
  static Result<std::shared_ptr<Policy>> create(const config::Config& cfg);

  bool in_mynetworks(std::string_view ip) const;
  // Fills client.trusted; a reject verdict refuses the connection.
  Verdict on_connect(ClientInfo& client) const;
  Verdict on_mail(const ClientInfo& client, std::string_view sender) const;
  Verdict on_rcpt(const ClientInfo& client, std::string_view recipient, mail::DomainClass cls) const;

 private:
  std::vector<maps::Cidr> mynetworks_;
  std::unique_ptr<AccessTables> access_;
};

}  // namespace tern::policy
