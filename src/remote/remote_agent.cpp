// Implementation of the remote delivery agent (see remote_agent.h).
#include "remote/remote_agent.h"

#include <pthread.h>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <future>

#include <fmt/format.h>

#include "base/log.h"
#include "base/strings.h"
#include "dns/await.h"
#include "dns/settings.h"
#include "io/tcp_stream.h"

namespace tern::remote {

namespace {

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

}  // namespace

// One batch in flight: its inputs and the outcomes being filled.
struct RemoteAgent::Attempt {
  const queue::Envelope& env;
  std::string_view content;
  std::vector<delivery::BatchItem> items;
  Transport transport;
  std::vector<delivery::BatchOutcome> out;
  bool host_failed = false;  // every host tried failed as a host: suspend the destination
};

RemoteAgent::RemoteAgent(TransportResolver transports) : transports_(std::move(transports)) {}

Result<std::shared_ptr<RemoteAgent>> RemoteAgent::create(std::shared_ptr<const config::Config> cfg) {
  auto transports = TransportResolver::create(*cfg);
  if (!transports) return transports.error();
  std::shared_ptr<RemoteAgent> a(new RemoteAgent(std::move(*transports)));
  a->cfg_ = cfg;
  if (auto o = dns::resolver_options(*cfg); !o) return o.error();
  a->route_settings_ = dns::route_settings(*cfg);
  auto tls = tls::ClientContext::create(*cfg);
  if (!tls) return tls.error();
  a->tls_ = *tls;
  for (const auto& w : a->tls_->warnings()) log::warn("{}", w);
  a->settings_ = smtp::client::read_settings(*cfg);
  if (cfg->boolean("smtp_sasl_auth_enable")) {
    for (const auto& spec : cfg->list("smtp_sasl_password_maps")) {
      auto t = maps::open_table(spec);
      if (!t) return cfg->error("smtp_sasl_password_maps", t.error().detail);
      a->passwords_.push_back(*t);
    }
  }
  long long limit = cfg->integer("smtp_destination_recipient_limit");
  a->limit_ = limit < 1 ? 1 : static_cast<size_t>(limit);
  a->hold_ = std::chrono::seconds(std::max(1LL, cfg->seconds("minimal_backoff_time")));
  return a;
}

Status RemoteAgent::start() const {
  std::lock_guard lock(start_mu_);
  if (io_) return ok_status();
  auto io = std::make_unique<asio::io_context>(1);
  auto resolver = dns::make_resolver(io->get_executor(), *cfg_);
  if (!resolver) return Error::with_dsn("4.3.0", "DNS resolver: " + resolver.error().detail);
  resolver_ = *resolver;
  io_ = std::move(io);
  thread_ = std::thread([io = io_.get()] {
    ::pthread_setname_np(::pthread_self(), "tern-smtp");
    auto work = asio::make_work_guard(*io);
    io->run();
  });
  return ok_status();
}

RemoteAgent::~RemoteAgent() {
  if (!io_) return;
  io_->stop();
  if (thread_.joinable()) thread_.join();
  resolver_.reset();
}

std::string RemoteAgent::batch_key(const rewrite::Target& t) const {
  auto tr = transports_.resolve(t.address);
  // A recipient whose transport cannot be chosen goes alone, to fail with
  // the reason in deliver_batch().
  if (!tr) return "unresolved:" + t.address;
  return tr->key();
}

void RemoteAgent::forget_failures() const {
  std::lock_guard lock(suspended_mu_);
  suspended_.clear();
}

std::vector<delivery::BatchOutcome> RemoteAgent::deliver_batch(const queue::Envelope& env, std::string_view content,
                                                               const std::vector<delivery::BatchItem>& items) const {
  Attempt a{env, content, items, {}, std::vector<delivery::BatchOutcome>(items.size())};
  if (items.empty()) return {};
  auto tr = transports_.resolve(items.front().target->address);
  auto all = [&](Result<delivery::Delivered> r) {
    for (auto& o : a.out) o.result = r;
    return std::move(a.out);
  };
  if (!tr) return all(tr.error());
  switch (tr->kind) {
    case Transport::Kind::error: return all(Error::with_dsn(tr->dsn, tr->text));
    case Transport::Kind::discard:
      return all(delivery::Delivered{"discarded" + (tr->text.empty() ? "" : ": " + tr->text)});
    case Transport::Kind::smtp: break;
  }
  a.transport = *tr;
  const std::string key = tr->key();
  {
    std::lock_guard lock(suspended_mu_);
    if (auto it = suspended_.find(key); it != suspended_.end()) {
      if (std::chrono::steady_clock::now() < it->second.until) {
        Error e = it->second.reason;
        e.detail = "delivery temporarily suspended: " + e.detail;
        for (auto& o : a.out) o.relay = it->second.relay;
        return all(e);
      }
      suspended_.erase(it);
    }
  }
  if (auto st = start(); !st) return all(st.error());
  auto done = asio::co_spawn(*io_, deliver_smtp(a), asio::use_future);
  try {
    done.get();
  } catch (const std::exception& e) {
    log::error("{}: SMTP delivery failed unexpectedly: {}", env.id, e.what());
    for (auto& o : a.out)
      if (!o.result || o.result->how.empty()) o.result = Error::temp(std::string("internal error: ") + e.what());
  }
  if (a.host_failed && !a.out.empty() && !a.out.front().result) {
    std::lock_guard lock(suspended_mu_);
    suspended_[key] = Suspension{std::chrono::steady_clock::now() + hold_, a.out.front().result.error(),
                                 a.out.front().relay};
  }
  return std::move(a.out);
}

Result<std::optional<smtp::client::Credentials>> RemoteAgent::credentials(const dns::NextHop& hop,
                                                                          const std::string& host,
                                                                          uint16_t port) const {
  if (passwords_.empty()) return std::optional<smtp::client::Credentials>();
  // Postfix's order: the next hop as written ([host]:port, [host], domain),
  // then the host actually reached.
  std::vector<std::string> keys{hop.to_string()};
  if (hop.kind != dns::NextHop::Kind::mx_domain) keys.push_back("[" + hop.name + "]");
  keys.push_back(hop.name);
  keys.push_back(fmt::format("[{}]:{}", host, port));
  keys.push_back(host);
  for (const auto& key : keys) {
    if (key.empty() || key == "[]") continue;
    for (const auto& t : passwords_) {
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

asio::awaitable<void> RemoteAgent::deliver_smtp(Attempt& a) const {
  const dns::NextHop& hop = a.transport.hop;
  auto fail_open = [&](const std::vector<size_t>& open, const Error& e, const std::string& relay) {
    for (size_t i : open) {
      a.out[i].result = e;
      a.out[i].relay = relay;
    }
  };
  std::vector<size_t> open;
  for (size_t i = 0; i < a.items.size(); ++i) open.push_back(i);

  auto level = tls_->level_for(hop.kind == dns::NextHop::Kind::mx_domain ? "" : hop.to_string(),
                               domain_of(a.items.front().target->address));
  if (!level) {
    fail_open(open, level.error(), "none");
    co_return;
  }
  dns::RouteResult route = co_await dns::async_lookup_route(resolver_, hop, route_settings_, asio::use_awaitable);
  if (!route.ok()) {
    fail_open(open, route.error->to_error(), "none");
    co_return;
  }
  for (const auto& s : route.route.skipped) log::info("{}: route to {}: {}", a.env.id, hop.to_string(), s);

  smtp::client::Envelope all = client_envelope(a.env, a.items);

  Error last = Error::with_dsn("4.4.1", "no host of " + hop.to_string() + " could be reached");
  std::string last_relay = "none";
  int sessions = 0;
  bool only_host_failures = true;  // no host took part in a transaction
  auto ex = co_await asio::this_coro::executor;
  for (const auto& entry : route.route.entries) {
    if (open.empty() || sessions >= std::max(1, route.route.session_limit)) break;
    asio::ip::tcp::endpoint ep(asio::ip::make_address(entry.address.text()), entry.port);
    std::string relay = entry.text();
    // At level may a failed handshake is tried once more in plaintext.
    for (bool plaintext_retry = false;;) {
      asio::ip::tcp::socket sock(ex);
      asio::steady_timer timer(ex);
      timer.expires_after(settings_.connect_timeout);
      timer.async_wait([&sock](const asio::error_code& ec) {
        if (!ec) sock.close();
      });
      asio::error_code ec;
      co_await sock.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
      bool timed_out = timer.expiry() <= std::chrono::steady_clock::now();
      timer.cancel();
      if (ec) {
        last = Error::with_dsn("4.4.1", fmt::format("connect to {}: {}", relay,
                                                    timed_out ? "Connection timed out" : connect_error_text(ec)));
        last_relay = relay;
        break;
      }
      ++sessions;
      smtp::client::Settings s = settings_;
      s.tls = plaintext_retry ? io::TlsLevel::none : *level;
      s.tls_client = tls_.get();
      auto creds = credentials(hop, entry.host, entry.port);
      if (!creds) {
        fail_open(open, creds.error(), relay);
        co_return;
      }
      s.auth = *creds;
      smtp::client::Envelope env = all;
      env.recipients.clear();
      for (size_t i : open) env.recipients.push_back(all.recipients[i]);
      auto r = co_await smtp::client::run_session(std::make_unique<io::TcpStream>(std::move(sock)), entry.host, relay,
                                                  s, env, a.content, clock_);
      if (!r.tls.empty() && s.tls_loglevel > 0)
        log::info("{}: {} TLS connection established to {}: {}", a.env.id, r.tls_trust, relay, r.tls);
      std::vector<size_t> still;
      for (size_t k = 0; k < open.size() && k < r.recipients.size(); ++k) {
        size_t i = open[k];
        const auto& rr = r.recipients[k];
        a.out[i].relay = relay;
        a.out[i].relayed = rr.relayed;
        a.out[i].reply = reply_of(rr.diagnostic);
        switch (rr.outcome) {
          case smtp::Outcome::sent: a.out[i].result = delivery::Delivered{rr.diagnostic}; break;
          case smtp::Outcome::bounced: a.out[i].result = Error::with_dsn(rr.dsn, rr.diagnostic); break;
          default:
            a.out[i].result = Error::with_dsn(rr.dsn.empty() ? "4.0.0" : rr.dsn, rr.diagnostic);
            last = Error::with_dsn(rr.dsn.empty() ? "4.0.0" : rr.dsn, rr.diagnostic);
            last_relay = relay;
            still.push_back(i);
        }
      }
      if (!r.try_next_host || still.size() != open.size()) only_host_failures = false;
      open = r.try_next_host ? still : std::vector<size_t>{};
      if (r.tls_handshake_failed && *level == io::TlsLevel::may && !plaintext_retry && !open.empty()) {
        plaintext_retry = true;
        continue;
      }
      break;
    }
  }
  a.host_failed = only_host_failures;
  // Recipients no session answered: the last connection's failure.
  for (size_t i : open)
    if (a.out[i].relay == "none") {
      a.out[i].result = last;
      a.out[i].relay = last_relay;
    }
}

}  // namespace tern::remote
