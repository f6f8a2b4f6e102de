// The reference server: a trivial SMTP sink with STARTTLS and AUTH that
// answers every command as a submission server would and keeps nothing
// (no password check, no disk). Driven by the same client as the real
// servers, it shows the most this client can measure on this machine:
// the client's ceiling, TLS handshakes on both ends included.
#pragma once

#include <openssl/ssl.h>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

namespace bench {

// Serves connections on acceptor until the process is stopped.
asio::awaitable<void> sink_accept_loop(asio::ip::tcp::acceptor& acceptor, SSL_CTX* ctx);

}  // namespace bench
