// ClientContext: the client side of TLS (the SMTP client's STARTTLS) built
// from one configuration snapshot: the CAs a server certificate is checked
// against (smtp_tls_CAfile, smtp_tls_CApath; neither set: the system
// store), the protocol ranges (smtp_tls_protocols at level may,
// smtp_tls_mandatory_protocols at encrypt and verify), the cipher grade
// (smtp_tls_ciphers), the default level (smtp_tls_security_level) and the
// per-destination levels (smtp_tls_policy_maps, client_policy.h). It is the
// io::TlsClient a client session upgrades with.
//
// Defaults (docs/behaviour.md): TLS 1.2 and 1.3 only, no renegotiation, no
// compression; the handshake never fails on the certificate (as Postfix's
// may and encrypt levels): the stream's summary() says Verified, Trusted or
// Untrusted, and the session refuses anything but Verified at verify.
#pragma once

#include <asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "io/tls_stream.h"
#include "maps/table.h"

namespace tern::tls {

class ClientContext final : public io::TlsClient, public std::enable_shared_from_this<ClientContext> {
 public:
  // Errors name the parameter, where it was set (main.cf:LINE) and the fix.
  static Result<std::shared_ptr<ClientContext>> create(const config::Config& cfg);
  std::unique_ptr<io::TlsStream> wrap(std::unique_ptr<io::Stream>& plain, const std::string& server_name,
                                      bool mandatory) const override;

  io::TlsLevel default_level() const { return level_; }
  // The level for one delivery: smtp_tls_policy_maps for the next hop
  // ("example.com", "[mx.example.com]:587"; empty: the recipient domain),
  // else smtp_tls_security_level. A table failure or a bad value is a
  // temporary error with dsn 4.7.5: the mail waits.
  Result<io::TlsLevel> level_for(std::string_view next_hop, std::string_view recipient_domain) const;
  int loglevel() const { return loglevel_; }  // smtp_tls_loglevel
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  ClientContext() = default;
  std::shared_ptr<asio::ssl::context> may_, mandatory_;
  std::vector<std::shared_ptr<maps::Table>> policy_;
  io::TlsLevel level_ = io::TlsLevel::may;
  int loglevel_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace tern::tls
