// TlsStream, TlsServer and TlsClient: the seam between a protocol session
// and TLS. A session that is told to go secure (STARTTLS, or the first byte
// on port 465) hands its plain stream to a TlsServer, gets a TlsStream back
// in its place, points its Watchdog at it, and awaits handshake() under the
// same deadline as any command. The SMTP client does the same after its
// STARTTLS got 220, through a TlsClient. A TlsStream knows its side from
// whoever made it: handshake() runs the server side for a stream a
// TlsServer made, the client side for one a TlsClient made. The OpenSSL
// implementation lives in src/tls/ (tls::ServerContext, tls::ClientContext);
// the session fuzz harnesses fake them, so that the STARTTLS rules of both
// sides can be fuzzed without a TLS peer.
//
// Protocol-free: the SMTP server and client use it; IMAP and POP3 reuse it.
#pragma once

#include <memory>
#include <string>

#include "io/stream.h"

namespace tern::io {

// How much TLS a client connection needs (smtp_tls_security_level and the
// values of smtp_tls_policy_maps): none: never STARTTLS; may: when offered,
// else plaintext; encrypt: TLS or no delivery; verify: TLS with a
// certificate that verifies and names the host, or no delivery.
enum class TlsLevel { none, may, encrypt, verify };

// What a finished handshake agreed on, in the words Postfix logs and puts
// into Received: ("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256/256 bits).
struct TlsSummary {
  std::string protocol;
  std::string cipher;
  int bits = 0;      // secret bits in use
  int alg_bits = 0;  // bits the algorithm supports
  std::string sni;   // server name the client asked for, "" if none (already checked: a DNS name)
  // Client side only: what the server's certificate proved, in Postfix's
  // words. untrusted: the chain did not verify against the CAs (or no
  // certificate); trusted: it did, but no name of it matched the host name
  // asked for; verified: chain and name both good. Server side: untrusted.
  enum class Trust { untrusted, trusted, verified };
  Trust trust = Trust::untrusted;
  std::string verify_error;  // why not verified, for the log ("certificate has expired"); "" when verified
};

// "Verified", "Trusted", "Untrusted": the first word of Postfix's log line
// "Verified TLS connection established to ...".
inline const char* trust_word(TlsSummary::Trust t) {
  return t == TlsSummary::Trust::verified  ? "Verified"
         : t == TlsSummary::Trust::trusted ? "Trusted"
                                           : "Untrusted";
}

class TlsStream : public Stream {
 public:
  // The handshake, on the side the stream was made for. On failure ec says why (OpenSSL's
  // reason for a protocol failure; operation_aborted when the watchdog
  // cancelled it); the stream is then only good for close().
  virtual asio::awaitable<void> handshake(asio::error_code& ec) = 0;
  // Valid after a successful handshake.
  virtual TlsSummary summary() const = 0;
  // A handshake error in words for the log ("wrong version number",
  // "unsupported protocol", "timeout", "lost connection").
  virtual std::string error_text(const asio::error_code& ec) const = 0;
};

class TlsServer {
 public:
  virtual ~TlsServer() = default;
  // Takes the plain stream over (its socket moves into the TLS stream: an
  // upgrade in place; `plain` is then empty). Null if `plain` cannot carry
  // TLS; it is then left as it was.
  virtual std::unique_ptr<TlsStream> wrap(std::unique_ptr<Stream>& plain) const = 0;
};

class TlsClient {
 public:
  virtual ~TlsClient() = default;
  // Takes the plain stream over as wrap() of TlsServer does, for the client
  // side. server_name: sent by SNI and the name the certificate must match
  // for summary().trust to be verified (empty: no SNI, never verified).
  // mandatory: the connection's level requires TLS (encrypt, verify), so the
  // mandatory protocol range applies. The handshake does not fail on an
  // unverified certificate: the caller decides from summary().trust.
  virtual std::unique_ptr<TlsStream> wrap(std::unique_ptr<Stream>& plain, const std::string& server_name,
                                          bool mandatory) const = 0;
};

}  // namespace tern::io
