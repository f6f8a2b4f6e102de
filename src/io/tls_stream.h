// TlsStream and TlsServer: the seam between a protocol session and TLS.
// A session that is told to go secure (STARTTLS, or the first byte on port
// 465) hands its plain stream to a TlsServer, gets a TlsStream back in its
// place, points its Watchdog at it, and awaits handshake() under the same
// deadline as any command. The OpenSSL implementation lives in src/tls/
// (tls::ServerContext); the session fuzz harness fakes both, so that the
// session's STARTTLS rules can be fuzzed without a TLS peer.
//
// Protocol-free: the SMTP server uses it today; the SMTP client, IMAP and
// POP3 reuse it.
#pragma once

#include <memory>
#include <string>

#include "io/stream.h"

namespace tern::io {

// What a finished handshake agreed on, in the words Postfix logs and puts
// into Received: ("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256/256 bits).
struct TlsSummary {
  std::string protocol;
  std::string cipher;
  int bits = 0;      // secret bits in use
  int alg_bits = 0;  // bits the algorithm supports
  std::string sni;   // server name the client asked for, "" if none (already checked: a DNS name)
};

class TlsStream : public Stream {
 public:
  // The server side of the handshake. On failure ec says why (OpenSSL's
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

}  // namespace tern::io
