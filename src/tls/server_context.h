// ServerContext: the server side of TLS built from one configuration
// snapshot: certificates (smtpd_tls_cert_file + smtpd_tls_key_file, or
// smtpd_tls_chain_files for RSA + ECDSA), one more context per name of
// tls_server_sni_maps, the protocol range and cipher grade, and rotating
// session ticket keys. It is the io::TlsServer a session upgrades with.
//
// Defaults (docs/behaviour.md): TLS 1.2 and 1.3 only, forward-secret AEAD
// ciphers in the server's order, no renegotiation, no compression, no
// server-side session cache (tickets only), read buffers released while a
// session is idle.
//
// A reload builds a new ServerContext; sessions keep the one they started
// with (it lives in their Services snapshot, and every TLS stream holds a
// reference to it).
//
// SECURITY: key files are read when this is built: at start-up before
// privileges are dropped, and on reload by whoever reloads. The SNI name a
// client sends is untrusted: only a DNS name is looked up, never logged raw.
#pragma once

#include <asio/ssl/context.hpp>
#include <map>
#include <memory>
#include <string>

#include "base/result.h"
#include "config/config.h"
#include "io/tls_stream.h"
#include "tls/pem.h"
#include "tls/ticket_keys.h"

namespace tern::tls {

// The session-facing TLS settings (what the session reads per snapshot).
enum class Level { none, may, encrypt };
Level security_level(const config::Config& cfg);

class ServerContext final : public io::TlsServer, public std::enable_shared_from_this<ServerContext> {
 public:
  // Null when no certificate is configured (TLS off). Errors name the
  // parameter, where it was set (main.cf:LINE) and the fix.
  // Certificate and key files are read through `read` (the table text of
  // tls_server_sni_maps always from disk).
  static Result<std::shared_ptr<ServerContext>> create(const config::Config& cfg,
                                                        const FileReader& read = read_from_disk);
  ~ServerContext() override;
  std::unique_ptr<io::TlsStream> wrap(std::unique_ptr<io::Stream>& plain) const override;
  // Warnings found while building (e.g. a TLSv1 asked for), for the log.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  ServerContext() = default;
  static int on_servername(SSL* ssl, int* alert, void* arg);
  std::unique_ptr<TicketKeys> keys_;
  std::shared_ptr<asio::ssl::context> default_;
  // "mail.example.com" and ".example.com" (any name below it)
  std::map<std::string, std::shared_ptr<asio::ssl::context>, std::less<>> by_name_;
  std::vector<std::string> warnings_;
};

// Every certificate and key file the configuration names (smtpd_tls_cert_file,
// smtpd_tls_key_file, smtpd_tls_chain_files, the files of
// tls_server_sni_maps): the only files the root side reads for a reload.
Result<std::vector<std::string>> files_named(const config::Config& cfg);

// True for a name a client may ask for by SNI: LDH labels and dots, at most
// 253 bytes. Anything else is never looked up nor logged.
bool is_dns_name(std::string_view name);

}  // namespace tern::tls
