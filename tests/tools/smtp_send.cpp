// smtp_send: a test driver for the SMTP client session, so that end-to-end
// tests (tests/e2e/test_smtp_client.py) can run smtp::client::run_session
// against real servers (aiosmtpd, Postfix's smtp-sink, hostile fakes) before
// the remote delivery agent is wired. Not installed. It connects to one
// address, takes the TLS level from smtp_tls_policy_maps /
// smtp_tls_security_level of the configuration (or --level), and prints one
// line per recipient and one for the session.
//
//   smtp_send --config main.cf --connect 127.0.0.1:PORT --server-name NAME
//             [--next-hop HOP] [--level none|may|encrypt|verify]
//             [--from A] --to 'addr|notify|orcpt' ... [--user U --password P]
//             [--smtputf8] [--eightbit] [--ret full|hdrs] [--envid E]
//   < message (LF line ends)
// Output: "rcpt N outcome=sent dsn=2.0.0 accepted=1 relayed=0 diag=TEXT"
// per recipient, then "session try_next_host=0 tls_failed=0 trust=Verified
// tls=TEXT". Exit 0 unless the arguments or the configuration are bad.
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "base/strings.h"
#include "io/tcp_stream.h"
#include "smtp/client/client.h"
#include "tls/client_context.h"
#include "tls/client_policy.h"

using namespace tern;

namespace {

const char* outcome_word(smtp::Outcome o) {
  return o == smtp::Outcome::sent ? "sent" : o == smtp::Outcome::bounced ? "bounced" : "deferred";
}

asio::awaitable<void> send(asio::ip::tcp::endpoint ep, std::string name, std::string relay,
                           const smtp::client::Settings* s, const smtp::client::Envelope* env, std::string_view content,
                           io::Clock* clock, smtp::client::SessionResult* out, bool* connected) {
  asio::ip::tcp::socket sock(co_await asio::this_coro::executor);
  asio::error_code ec;
  co_await sock.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  *connected = true;
  *out = co_await smtp::client::run_session(std::make_unique<io::TcpStream>(std::move(sock)), name, relay, *s, *env,
                                            content, *clock);
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, connect, name, next_hop, level, user, password;
  bool has_auth = false, has_level = false;
  smtp::client::Envelope env;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--config") config_path = val();
    else if (a == "--connect") connect = val();
    else if (a == "--server-name") name = val();
    else if (a == "--next-hop") next_hop = val();
    else if (a == "--level") level = val(), has_level = true;
    else if (a == "--from") env.sender = val();
    else if (a == "--user") user = val(), has_auth = true;
    else if (a == "--password") password = val();
    else if (a == "--smtputf8") env.smtputf8 = true;
    else if (a == "--eightbit") env.eightbit = true;
    else if (a == "--ret") env.ret = val();
    else if (a == "--envid") env.envid = val();
    else if (a == "--to") {
      auto parts = str::split(val(), '|');
      parts.resize(3);
      env.recipients.push_back({parts[0], parts[1], parts[2]});
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  auto loaded = config::load_file(config_path);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::cerr << d.to_string() << "\n";
    return 2;
  }
  auto ctx = tls::ClientContext::create(*loaded.config);
  if (!ctx) {
    std::cerr << ctx.error().detail << "\n";
    return 2;
  }
  auto settings = smtp::client::read_settings(*loaded.config);
  settings.tls_client = ctx->get();
  std::string domain = env.recipients.empty() ? "" : env.recipients[0].address;
  domain = domain.substr(domain.rfind('@') + 1);
  if (has_level) {
    auto l = tls::parse_level(level);
    if (!l) return 2;
    settings.tls = *l;
  } else {
    auto l = (*ctx)->level_for(next_hop, domain);
    if (!l) {
      std::cout << "policy error dsn=" << l.error().dsn << " diag=" << l.error().detail << "\n";
      return 0;
    }
    settings.tls = *l;
  }
  if (has_auth) settings.auth = smtp::client::Credentials{user, password};
  std::string content((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());

  auto colon = connect.rfind(':');
  asio::ip::tcp::endpoint ep(asio::ip::make_address(connect.substr(0, colon)),
                             static_cast<unsigned short>(std::stoi(connect.substr(colon + 1))));
  std::string relay = name + "[" + ep.address().to_string() + "]:" + std::to_string(ep.port());
  asio::io_context io;
  io::SteadyClock clock;
  smtp::client::SessionResult out;
  bool connected = false;
  asio::co_spawn(io, send(ep, name, relay, &settings, &env, content, &clock, &out, &connected), asio::detached);
  io.run();
  if (!connected) {
    std::cout << "session connect failed\n";
    return 0;
  }
  for (size_t i = 0; i < out.recipients.size(); ++i) {
    const auto& r = out.recipients[i];
    std::cout << "rcpt " << i << " outcome=" << outcome_word(r.outcome) << " dsn=" << r.dsn
              << " accepted=" << r.rcpt_accepted << " relayed=" << r.relayed << " diag=" << r.diagnostic << "\n";
  }
  std::cout << "session try_next_host=" << out.try_next_host << " tls_failed=" << out.tls_handshake_failed
            << " trust=" << out.tls_trust << " tls=" << out.tls << "\n";
  return 0;
}
