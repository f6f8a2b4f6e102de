// The load client's sessions: a full submission session (connect, EHLO,
// STARTTLS, EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) and an idle one that
// stops after the second EHLO and stays open. Any reply other than the one
// expected is a failure: counted by step and reply code, with an example.
#pragma once

#include <openssl/ssl.h>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bench {

class Conn;

struct ClientOptions {
  asio::ip::tcp::endpoint server;
  std::string helo = "bench-client.test";
  std::string sni;                   // SNI name; empty: none
  std::string user = "sender@bench.test";
  std::string password = "bench";
  std::string from;                  // MAIL FROM; empty: the user
  std::string to = "rcpt@bench.test";
  size_t body_bytes = 1024;
  int per_session = 1;               // messages per session
  int timeout_s = 60;                // per session
  bool starttls = true;              // false: plaintext, no AUTH (the client's plaintext ceiling)
  bool resume = false;               // offer the last TLS session (ticket) again
};

// What one runner (one thread) counted; merged at the end.
struct Stats {
  long sessions_ok = 0;
  long msgs_ok = 0;
  long sessions_failed = 0;
  long resumed = 0;                  // handshakes that resumed a session
  std::map<std::string, long> failures;      // "STEP code" -> count
  std::map<std::string, std::string> example;  // "STEP code" -> first full reply or error
  void fail(const std::string& key, const std::string& detail);
  void merge(const Stats& o);
};

// Shared between runners: the TLS context and, with resume, the last session.
class TlsClient {
 public:
  TlsClient(bool resume);
  ~TlsClient();
  SSL_CTX* ctx() const { return ctx_; }
  SSL_SESSION* take_session();  // a reference the caller frees, or null
  void put_session(SSL_SESSION* s);

 private:
  SSL_CTX* ctx_;
  std::mutex mu_;
  SSL_SESSION* last_ = nullptr;
};

// The message a session sends after DATA (headers, body, final dot).
std::string make_message(const ClientOptions& o, long index);

// One submission session: adds to stats.
asio::awaitable<void> submission_session(const ClientOptions& o, TlsClient& tls, long index, Stats& stats);

// Opens a session up to the EHLO after STARTTLS and hands the connection
// over (null on failure, counted in stats).
asio::awaitable<std::shared_ptr<Conn>> idle_session(const ClientOptions& o, TlsClient& tls, Stats& stats);

}  // namespace bench
