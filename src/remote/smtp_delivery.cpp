// Implementation of one batch's SMTP delivery (see smtp_delivery.h).
#include "remote/smtp_delivery.h"

#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>

#include "base/log.h"
#include "base/strings.h"
#include "dns/await.h"
#include "dns/settings.h"
#include "io/tcp_stream.h"

namespace tern::remote {

namespace {

using Clock = std::chrono::steady_clock;

std::string domain_of(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? "" : str::lower(address.substr(at + 1));
}

// The words Postfix logs for a failed connect.
std::string connect_error_text(const asio::error_code& ec) {
  if (ec == asio::error::operation_aborted || ec == asio::error::timed_out) return "Connection timed out";
  if (ec == asio::error::connection_refused) return "Connection refused";
  if (ec == asio::error::host_unreachable) return "No route to host";
  if (ec == asio::error::network_unreachable) return "Network is unreachable";
  return ec.message();
}

// The server's reply inside a diagnostic in Postfix's words ("host
// mx[192.0.2.1] said: 550 5.1.1 ... (in reply to RCPT TO command)"): what
// a DSN's Diagnostic-Code carries; "" when no server said anything.
std::string reply_of(const std::string& diagnostic) {
  auto said = diagnostic.find(" said: ");
  if (said == std::string::npos) return "";
  std::string r = diagnostic.substr(said + 7);
  if (auto in = r.rfind(" (in reply to "); in != std::string::npos && r.back() == ')') r.resize(in);
  return r;
}

// RFC 3461 NOTIFY= of a queued recipient: "" when not given.
std::string notify_text(unsigned bits) {
  if (bits & queue::dsn_notify::never) return "NEVER";
  std::string out;
  for (auto [bit, word] : {std::pair{queue::dsn_notify::success, "SUCCESS"}, std::pair{queue::dsn_notify::failure, "FAILURE"},
                           std::pair{queue::dsn_notify::delay, "DELAY"}})
    if (bits & bit) out += (out.empty() ? "" : ",") + std::string(word);
  return out;
}

// The envelope the next server gets: the DSN request passes on (RFC 3461
// 6.2); a recipient reached through an alias carries its original address
// as ORCPT when the client gave none, as Postfix does.
smtp::client::Envelope client_envelope(const queue::Envelope& env, const std::vector<delivery::BatchItem>& items) {
  smtp::client::Envelope out;
  out.sender = env.sender;
  out.smtputf8 = env.smtputf8;
  out.eightbit = env.eightbit;
  out.envid = env.envid;
  out.ret = env.ret == queue::DsnRet::full ? "FULL" : env.ret == queue::DsnRet::hdrs ? "HDRS" : "";
  for (const auto& item : items) {
    smtp::client::Envelope::Recipient r{item.target->address, "", ""};
    if (item.recipient) {
      r.notify = notify_text(item.recipient->notify);
      if (!item.recipient->orcpt.empty()) r.orcpt = item.recipient->orcpt;
      else if (str::lower(item.recipient->address) != str::lower(item.target->address))
        r.orcpt = "rfc822;" + item.recipient->address;
    }
    out.recipients.push_back(std::move(r));
  }
  return out;
}

// user:password for this next hop and host (smtp_sasl_password_maps), in
// Postfix's order: the next hop as written ([host]:port, [host], domain),
// then the host actually reached.
Result<std::optional<smtp::client::Credentials>> credentials(const SmtpSetup& setup, const dns::NextHop& hop,
                                                             const std::string& host, uint16_t port) {
  if (setup.passwords.empty()) return std::optional<smtp::client::Credentials>();
  std::vector<std::string> keys{hop.to_string()};
  if (hop.kind != dns::NextHop::Kind::mx_domain) keys.push_back("[" + hop.name + "]");
  keys.push_back(hop.name);
  keys.push_back(fmt::format("[{}]:{}", host, port));
  keys.push_back(host);
  for (const auto& key : keys) {
    if (key.empty() || key == "[]") continue;
    for (const auto& t : setup.passwords) {
      auto l = t->lookup(str::lower(key));
      if (l.status == maps::Status::try_again)
        return Error::with_dsn("4.3.0", "smtp_sasl_password_maps " + t->spec() + " is not available: " + l.detail);
      if (!l.found()) continue;
      auto colon = l.value.find(':');
      if (colon == std::string::npos)
        return Error::with_dsn("4.3.5", "smtp_sasl_password_maps " + t->spec() + ": the value for " + key +
                                            " is not user:password");
      return std::optional<smtp::client::Credentials>(
          smtp::client::Credentials{l.value.substr(0, colon), l.value.substr(colon + 1)});
    }
  }
  return std::optional<smtp::client::Credentials>();
}

// The state of one batch's attempt across its sessions.
struct Attempt {
  Batch& b;
  smtp::client::Envelope all;
  std::vector<size_t> open;  // items without an answer yet
  Error last = Error::with_dsn("4.4.1", "no host could be reached");
  std::string last_relay = "none";
  bool only_host_failures = true;  // no host took part in a transaction
  Clock::time_point sending{};     // when the last transaction began

  smtp::client::Envelope envelope_of_open() const {
    smtp::client::Envelope env = all;
    env.recipients.clear();
    for (size_t i : open) env.recipients.push_back(all.recipients[i]);
    return env;
  }
  void fail_open(const Error& e, const std::string& relay) {
    for (size_t i : open) {
      b.out[i].result = e;
      b.out[i].relay = relay;
    }
    open.clear();
  }
  // A transaction's results into the outcomes; the recipients deferred by
  // a host failure stay open for the next host.
  void take(const smtp::client::SessionResult& r, const std::string& relay) {
    std::vector<size_t> still;
    for (size_t k = 0; k < open.size() && k < r.recipients.size(); ++k) {
      size_t i = open[k];
      const auto& rr = r.recipients[k];
      b.out[i].relay = relay;
      b.out[i].relayed = rr.relayed;
      b.out[i].reply = reply_of(rr.diagnostic);
      switch (rr.outcome) {
        case smtp::Outcome::sent: b.out[i].result = delivery::Delivered{rr.diagnostic}; break;
        case smtp::Outcome::bounced: b.out[i].result = Error::with_dsn(rr.dsn, rr.diagnostic); break;
        default:
          b.out[i].result = Error::with_dsn(rr.dsn.empty() ? "4.0.0" : rr.dsn, rr.diagnostic);
          last = Error::with_dsn(rr.dsn.empty() ? "4.0.0" : rr.dsn, rr.diagnostic);
          last_relay = relay;
          still.push_back(i);
      }
    }
    if (!r.try_next_host || still.size() != open.size()) only_host_failures = false;
    open = r.try_next_host ? still : std::vector<size_t>{};
  }
};

bool fit_for_reuse(const SmtpSetup& setup, const smtp::client::Session& s) {
  if (!s.reusable()) return false;
  if (setup.reuse_count > 0 && s.transactions() >= setup.reuse_count) return false;
  return Clock::now() - s.opened() < setup.reuse_time;
}

// One transaction over session s; keeps it in `keep` when it may carry
// another. False when s was stale (nothing was decided).
asio::awaitable<bool> transact(const SmtpSetup& setup, Attempt& a, SessionPtr s, SessionPtr& keep) {
  a.sending = Clock::now();
  auto r = co_await s->send(a.envelope_of_open(), a.b.content);
  if (s->stale()) co_return false;
  a.take(r, s->relay());
  if (fit_for_reuse(setup, *s) && !keep) keep = std::move(s);
  else co_await s->quit();
  co_return true;
}

}  // namespace

Result<std::shared_ptr<const SmtpSetup>> SmtpSetup::create(const config::Config& cfg) {
  auto s = std::make_shared<SmtpSetup>();
  s->route = dns::route_settings(cfg);
  auto tls = tls::ClientContext::create(cfg);
  if (!tls) return tls.error();
  s->tls = *tls;
  for (const auto& w : s->tls->warnings()) log::warn("{}", w);
  s->settings = smtp::client::read_settings(cfg);
  if (cfg.boolean("smtp_sasl_auth_enable")) {
    for (const auto& spec : cfg.list("smtp_sasl_password_maps")) {
      auto t = maps::open_table(spec);
      if (!t) return cfg.error("smtp_sasl_password_maps", t.error().detail);
      s->passwords.push_back(*t);
    }
  }
  auto at_least = [&](const char* name, long long min) {
    return static_cast<int>(std::max(min, cfg.integer(name)));
  };
  s->hold = std::chrono::seconds(std::max(1LL, cfg.seconds("minimal_backoff_time")));
  s->destination_limit = at_least("smtp_destination_concurrency_limit", 1);
  s->process_limit = at_least("default_process_limit", 1);
  s->cache = cfg.boolean("smtp_connection_cache_on_demand");
  s->cache_time = std::chrono::seconds(std::max(0LL, cfg.seconds("smtp_connection_cache_time_limit")));
  s->reuse_time = std::chrono::seconds(std::max(0LL, cfg.seconds("smtp_connection_reuse_time_limit")));
  s->reuse_count = at_least("smtp_connection_reuse_count_limit", 0);
  return std::shared_ptr<const SmtpSetup>(std::move(s));
}

asio::awaitable<void> deliver_by_smtp(const SmtpSetup& setup, std::shared_ptr<dns::Resolver> resolver,
                                      io::Clock& clock, Batch& b, SessionPtr& session) {
  Attempt a{b, client_envelope(b.env, b.items), {}};
  for (size_t i = 0; i < b.items.size(); ++i) a.open.push_back(i);
  SessionPtr keep;
  // Where the time went (delivery::Delays): waiting for a session, setting
  // one up until the last transaction began, then that transaction.
  auto finish = [&] {
    auto now = Clock::now();
    auto secs = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
    bool sent = a.sending != Clock::time_point{};
    for (auto& o : b.out) {
      o.delays.queued = secs(b.started - b.submitted);
      o.delays.setup = secs((sent ? a.sending : now) - b.started);
      o.delays.transfer = sent ? secs(now - a.sending) : 0;
    }
    session = std::move(keep);
  };
  // 1. The cached connection, when there is one.
  if (session) {
    if (!co_await transact(setup, a, std::move(session), keep)) a.sending = {};  // stale: a new connection below
  }
  session.reset();
  if (a.open.empty()) {
    finish();
    co_return;
  }
  // 2. New connections, host by host.
  const dns::NextHop& hop = b.transport.hop;
  auto level = setup.tls->level_for(hop.kind == dns::NextHop::Kind::mx_domain ? "" : hop.to_string(),
                                    domain_of(b.items.front().target->address));
  if (!level) {
    a.fail_open(level.error(), "none");
    finish();
    co_return;
  }
  dns::RouteResult route = co_await dns::async_lookup_route(resolver, hop, setup.route, asio::use_awaitable);
  if (!route.ok()) {
    a.fail_open(route.error->to_error(), "none");
    finish();
    co_return;
  }
  for (const auto& s : route.route.skipped) log::info("{}: route to {}: {}", b.env.id, hop.to_string(), s);
  a.last = Error::with_dsn("4.4.1", "no host of " + hop.to_string() + " could be reached");

  int sessions = 0;
  auto ex = co_await asio::this_coro::executor;
  for (const auto& entry : route.route.entries) {
    if (a.open.empty() || sessions >= std::max(1, route.route.session_limit)) break;
    asio::ip::tcp::endpoint ep(asio::ip::make_address(entry.address.text()), entry.port);
    std::string relay = entry.text();
    // At level may a failed handshake is tried once more in plaintext.
    for (bool plaintext_retry = false;;) {
      asio::ip::tcp::socket sock(ex);
      asio::steady_timer timer(ex);
      timer.expires_after(setup.settings.connect_timeout);
      timer.async_wait([&sock](const asio::error_code& ec) {
        if (!ec) sock.close();
      });
      asio::error_code ec;
      co_await sock.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
      bool timed_out = timer.expiry() <= Clock::now();
      timer.cancel();
      if (ec) {
        a.last = Error::with_dsn("4.4.1", fmt::format("connect to {}: {}", relay,
                                                      timed_out ? "Connection timed out" : connect_error_text(ec)));
        a.last_relay = relay;
        break;
      }
      ++sessions;
      smtp::client::Settings s = setup.settings;
      s.tls = plaintext_retry ? io::TlsLevel::none : *level;
      s.tls_client = setup.tls.get();
      auto creds = credentials(setup, hop, entry.host, entry.port);
      if (!creds) {
        a.fail_open(creds.error(), relay);
        finish();
        co_return;
      }
      s.auth = *creds;
      auto opened = co_await smtp::client::open_session(std::make_unique<io::TcpStream>(std::move(sock)), entry.host,
                                                        relay, s, clock);
      if (!opened.tls.empty() && s.tls_loglevel > 0)
        log::info("{}: {} TLS connection established to {}: {}", b.env.id, opened.tls_trust, relay, opened.tls);
      if (!opened.session) {
        a.last = Error::with_dsn(opened.failure.dsn, opened.failure.diagnostic);
        a.last_relay = relay;
        for (size_t i : a.open) b.out[i].relay = relay, b.out[i].result = a.last;
        if (opened.failure.tls_handshake_failed && *level == io::TlsLevel::may && !plaintext_retry) {
          plaintext_retry = true;
          continue;
        }
        break;
      }
      (void)co_await transact(setup, a, std::move(opened.session), keep);  // a new session is never stale
      break;
    }
  }
  b.host_failed = a.only_host_failures;
  // Recipients no session answered: the last failure.
  for (size_t i : a.open)
    if (b.out[i].relay == "none") {
      b.out[i].result = a.last;
      b.out[i].relay = a.last_relay;
    }
  finish();
}

}  // namespace tern::remote
