// See client.h.
#include "client.h"

#include <openssl/evp.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <ctime>

#include "conn.h"
#include "smtp_reply.h"

namespace bench {

void Stats::fail(const std::string& key, const std::string& detail) {
  if (failures[key]++ == 0) example[key] = detail;
}

void Stats::merge(const Stats& o) {
  sessions_ok += o.sessions_ok;
  msgs_ok += o.msgs_ok;
  sessions_failed += o.sessions_failed;
  resumed += o.resumed;
  for (auto& [k, n] : o.failures) {
    if (failures[k] == 0) example[k] = o.example.at(k);
    failures[k] += n;
  }
}

namespace {

// A new session's ticket replaces the one kept (called by OpenSSL).
int on_new_session(SSL* ssl, SSL_SESSION* s) {
  auto* self = static_cast<TlsClient*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  self->put_session(s);
  return 1;  // we own the reference now
}

}  // namespace

TlsClient::TlsClient(bool resume) : ctx_(SSL_CTX_new(TLS_client_method())) {
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  // The servers use a self-signed certificate: the client checks nothing (a
  // real client's chain check costs the client, not the server).
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_mode(ctx_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_read_ahead(ctx_, 1);  // one read(2) per socket buffer, not two per record
  SSL_CTX_set_app_data(ctx_, this);
  if (resume) {
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx_, on_new_session);
  } else {
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  }
}

TlsClient::~TlsClient() {
  if (last_) SSL_SESSION_free(last_);
  SSL_CTX_free(ctx_);
}

SSL_SESSION* TlsClient::take_session() {
  std::lock_guard lock(mu_);
  if (last_) SSL_SESSION_up_ref(last_);
  return last_;
}

void TlsClient::put_session(SSL_SESSION* s) {
  std::lock_guard lock(mu_);
  if (last_) SSL_SESSION_free(last_);
  last_ = s;
}

std::string make_message(const ClientOptions& o, long index) {
  char date[64];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string m;
  m.reserve(o.body_bytes + 400);
  std::string from = o.from.empty() ? o.user : o.from;
  m += "From: <" + from + ">\r\nTo: <" + o.to + ">\r\nSubject: bench " + std::to_string(index) + "\r\nDate: " + date +
       "\r\nMessage-ID: <bench." + std::to_string(index) + "." + std::to_string(now) + "@" + o.helo +
       ">\r\n\r\n";
  // Lines of 78 characters plus CRLF, like smtp-source's body.
  size_t body = 0;
  while (body < o.body_bytes) {
    size_t n = std::min<size_t>(78, o.body_bytes - body);
    m.append(n, 'x');
    m += "\r\n";
    body += n + 2;
  }
  m += ".\r\n";
  return m;
}

namespace {

// One session's conversation: the connection, what has been read, and the
// step being run (for failure reports).
class Dialogue {
 public:
  Dialogue(std::shared_ptr<Conn> c, Stats& s) : conn_(std::move(c)), stats_(s) {}

  // Sends line (unless empty) and reads one reply; true if its code is want.
  asio::awaitable<bool> step(const char* name, std::string_view line, int want) {
    // (GCC 12 miscompiles co_await inside && and ?:, hence the plain ifs here and below.)
    step_ = name;
    if (!line.empty()) {
      bool sent = co_await conn_->write(line, err_);
      if (!sent) co_return fail(err_);
    }
    bool ok = co_await expect(want);
    co_return ok;
  }

  asio::awaitable<bool> expect(int want) {
    for (;;) {
      if (auto r = reader_.next()) {
        last_ = r->text;
        if (r->code == want) co_return true;
        co_return fail(r->code ? std::to_string(r->code) : std::string("malformed reply"), r->text);
      }
      if (reader_.error()) co_return fail("reply line too long");
      size_t n = co_await conn_->read_some(buf_, sizeof buf_, err_);
      if (n == 0) co_return fail(err_);
      reader_.feed(std::string_view(buf_, n));
    }
  }

  bool fail(const std::string& why, const std::string& detail = "") {
    stats_.fail(std::string(step_) + ": " + why, detail.empty() ? why : detail);
    return false;
  }

  Conn& conn() { return *conn_; }
  ReplyReader& reader() { return reader_; }
  const std::string& last_reply() const { return last_; }
  std::string& err() { return err_; }
  void set_step(const char* s) { step_ = s; }

 private:
  std::shared_ptr<Conn> conn_;
  Stats& stats_;
  ReplyReader reader_;
  const char* step_ = "";
  std::string err_;
  std::string last_;
  char buf_[16384];
};

// Closes the connection's socket for reading and writing at the deadline.
void arm_deadline(asio::steady_timer& timer, const std::shared_ptr<Conn>& conn, int seconds) {
  timer.expires_after(std::chrono::seconds(seconds));
  timer.async_wait([weak = std::weak_ptr<Conn>(conn)](const asio::error_code& ec) {
    if (ec) return;
    if (auto c = weak.lock()) c->abort();
  });
}

// Connect, banner, EHLO, STARTTLS, handshake, EHLO.
asio::awaitable<bool> open_tls(const ClientOptions& o, TlsClient& tls, Dialogue& d, Stats& stats) {
  d.set_step("connect");
  asio::error_code ec;
  co_await d.conn().socket().async_connect(o.server, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return d.fail(ec.message());
  d.conn().socket().set_option(asio::ip::tcp::no_delay(true), ec);
  d.conn().socket().non_blocking(true, ec);
  if (!co_await d.step("banner", "", 220)) co_return false;
  std::string ehlo = "EHLO " + o.helo + "\r\n";
  if (!co_await d.step("EHLO", ehlo, 250)) co_return false;
  if (!o.starttls) co_return true;
  if (d.last_reply().find("STARTTLS") == std::string::npos) co_return d.fail("no STARTTLS offered", d.last_reply());
  if (!co_await d.step("STARTTLS", "STARTTLS\r\n", 220)) co_return false;
  if (d.reader().pending()) co_return d.fail("data after the 220 to STARTTLS");
  d.set_step("handshake");
  SSL_SESSION* resume = o.resume ? tls.take_session() : nullptr;
  bool ok = co_await d.conn().handshake(tls.ctx(), false, resume, o.sni, d.err());
  if (resume) SSL_SESSION_free(resume);
  if (!ok) co_return d.fail(d.err());
  if (d.conn().resumed()) ++stats.resumed;
  co_return co_await d.step("EHLO after STARTTLS", ehlo, 250);
}

std::string auth_plain(const ClientOptions& o) {
  std::string raw = std::string(1, '\0') + o.user + std::string(1, '\0') + o.password;
  std::string b64(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  b64.resize(n);
  return "AUTH PLAIN " + b64 + "\r\n";
}

}  // namespace

asio::awaitable<void> submission_session(const ClientOptions& o, TlsClient& tls, long index, Stats& stats) {
  auto conn = std::make_shared<Conn>(asio::ip::tcp::socket(co_await asio::this_coro::executor));
  asio::steady_timer deadline(co_await asio::this_coro::executor);
  arm_deadline(deadline, conn, o.timeout_s);
  Dialogue d(conn, stats);
  bool ok = co_await open_tls(o, tls, d, stats);
  if (ok && o.starttls) ok = co_await d.step("AUTH", auth_plain(o), 235);
  std::string mail = "MAIL FROM:<" + (o.from.empty() ? o.user : o.from) + ">\r\n";
  std::string rcpt = "RCPT TO:<" + o.to + ">\r\n";
  for (int k = 0; ok && k < o.per_session; ++k) {
    ok = co_await d.step("MAIL", mail, 250);
    if (ok) ok = co_await d.step("RCPT", rcpt, 250);
    if (ok) ok = co_await d.step("DATA", "DATA\r\n", 354);
    if (ok) ok = co_await d.step("end of data", make_message(o, index * o.per_session + k), 250);
    if (ok) ++stats.msgs_ok;
  }
  if (ok) ok = co_await d.step("QUIT", "QUIT\r\n", 221);
  deadline.cancel();
  conn->close();
  if (ok) ++stats.sessions_ok;
  else ++stats.sessions_failed;
}

asio::awaitable<std::shared_ptr<Conn>> idle_session(const ClientOptions& o, TlsClient& tls, Stats& stats) {
  auto conn = std::make_shared<Conn>(asio::ip::tcp::socket(co_await asio::this_coro::executor));
  asio::steady_timer deadline(co_await asio::this_coro::executor);
  arm_deadline(deadline, conn, o.timeout_s);
  Dialogue d(conn, stats);
  bool ok = co_await open_tls(o, tls, d, stats);
  deadline.cancel();
  if (!ok) {
    conn->close();
    ++stats.sessions_failed;
    co_return nullptr;
  }
  ++stats.sessions_ok;
  co_return conn;
}

}  // namespace bench
