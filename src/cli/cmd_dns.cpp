// The dns verbs (see cmd_dns.h). Each runs one lookup on its own
// io_context and prints the outcome. Exit status: 0 with an answer
// (a route; a name or "unknown"), 75 (EX_TEMPFAIL) when the lookup must be
// tried again, 69 (EX_UNAVAILABLE) for a permanent failure or a null MX,
// 65 (EX_DATAERR) for a destination or address that does not parse, 78 for
// a configuration error.
#include "cli/cmd_dns.h"

#include <asio/io_context.hpp>
#include <cstdio>

#include "cli/commands.h"
#include "dns/peer_name.h"
#include "dns/route_lookup.h"
#include "dns/settings.h"

namespace tern::cli {

namespace {

int print_route(const dns::RouteResult& r, const std::string& dest) {
  for (auto& s : r.route.skipped) std::printf("# skipped: %s\n", s.c_str());
  if (r.error) {
    std::fprintf(stderr, "tern: %s: %s %s\n", dest.c_str(), r.error->dsn.c_str(), r.error->text.c_str());
    return r.error->kind == dns::RouteError::Kind::temporary ? 75 : 69;
  }
  // One line per address in the order to try: "preference host[address]:port".
  for (auto& e : r.route.entries) std::printf("%u %s\n", static_cast<unsigned>(e.preference), e.text().c_str());
  return 0;
}

int lookup(const std::string& config_path, bool mx, const std::string& target) {
  auto cfg = load_config(config_path, true);
  if (!cfg) return 78;
  asio::io_context io;
  auto resolver = dns::make_resolver(io.get_executor(), *cfg);
  if (!resolver) {
    std::fprintf(stderr, "tern: %s\n", resolver.error().detail.c_str());
    return resolver.error().is_permanent() ? 78 : 75;
  }
  int rc = 70;
  if (mx) {
    auto hop = dns::parse_next_hop(target);
    if (!hop) {
      std::fprintf(stderr, "tern: %s\n", hop.error().detail.c_str());
      return 65;
    }
    dns::lookup_route(*resolver, *hop, dns::route_settings(*cfg),
                      [&](dns::RouteResult r) { rc = print_route(r, target); });
  } else {
    auto addr = dns::parse_ip(target);
    if (!addr) {
      std::fprintf(stderr, "tern: \"%s\" is not an IPv4 or IPv6 address\n", target.c_str());
      return 65;
    }
    dns::lookup_peer_name(*resolver, *addr, [&](dns::PeerName p) {
      std::printf("%s\n", p.text().c_str());
      if (!p.detail.empty()) std::printf("# %s\n", p.detail.c_str());
      rc = p.status == dns::PeerName::Status::temporary ? 75 : 0;
    });
  }
  resolver->reset();
  io.run();
  return rc;
}

}  // namespace

DnsCommand::DnsCommand(CLI::App& app, const std::string& config_path) : config_path_(config_path) {
  auto* dns = app.add_subcommand("dns", "look up routes and client names as the server would");
  dns->require_subcommand(1);
  mx_ = dns->add_subcommand("mx", "print the addresses mail for a destination goes to, in order");
  mx_->add_option("destination", target_, "example.com, example.com:2525, [host]:port, [192.0.2.1]")->required();
  ptr_ = dns->add_subcommand("ptr", "print a client address's confirmed name, or unknown");
  ptr_->add_option("address", target_, "192.0.2.7 or 2001:db8::7")->required();
}

int DnsCommand::run() const { return lookup(config_path_, mx_->parsed(), target_); }

}  // namespace tern::cli
