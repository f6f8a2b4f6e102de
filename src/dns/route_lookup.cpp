// The asynchronous steps of a route lookup (see route_lookup.h). State lives
// in one shared object that each query's handler holds; all handlers run on
// the resolver's strand, so the counters need no lock.
#include "dns/route_lookup.h"

#include <asio/post.hpp>

namespace tern::dns {

namespace {

struct RouteLookup : std::enable_shared_from_this<RouteLookup> {
  std::shared_ptr<Resolver> resolver;
  std::string destination;
  RouteSettings settings;
  uint16_t port = kSmtpPort;
  RouteHandler done;
  std::vector<HostAnswers> hosts;
  std::vector<std::string> skipped;
  size_t outstanding = 0;

  void resolve_hosts() {
    outstanding = hosts.size() * 2;
    for (size_t i = 0; i < hosts.size(); ++i) {
      for (RrType t : {RrType::a, RrType::aaaa}) {
        resolver->query(hosts[i].host.name, t, [self = shared_from_this(), i, t](Answer a) {
          (t == RrType::a ? self->hosts[i].a : self->hosts[i].aaaa) = std::move(a);
          if (--self->outstanding == 0) self->finish();
        });
      }
    }
  }

  void finish() {
    done(assemble_route(destination, hosts, port, settings, std::move(skipped), resolver->rng()));
  }
};

}  // namespace

void lookup_route(std::shared_ptr<Resolver> resolver, const NextHop& hop, const RouteSettings& settings,
                  RouteHandler done, uint16_t port) {
  auto op = std::make_shared<RouteLookup>();
  op->resolver = resolver;
  op->settings = settings;
  op->port = hop.port_or(port);
  op->done = std::move(done);
  switch (hop.kind) {
    case NextHop::Kind::address: {
      op->destination = hop.to_string();
      RouteResult r;
      r.route.entries.push_back({hop.address->text(), *hop.address, op->port, 0});
      r.route.session_limit = settings.mx_session_limit;
      asio::post(resolver->strand(), [op, r = std::move(r)]() mutable { op->done(std::move(r)); });
      return;
    }
    case NextHop::Kind::host:
      op->destination = hop.name;
      op->hosts.push_back({{0, hop.name}, {}, {}});
      asio::post(resolver->strand(), [op] { op->resolve_hosts(); });
      return;
    case NextHop::Kind::mx_domain:
      op->destination = hop.name;
      resolver->query(hop.name, RrType::mx, [op](Answer mx) {
        MxPlan plan = plan_mx(op->destination, mx, op->resolver->rng());
        if (plan.error) {
          RouteResult r;
          r.error = std::move(plan.error);
          r.route.skipped = std::move(plan.skipped);
          op->done(std::move(r));
          return;
        }
        for (auto& h : plan.hosts) op->hosts.push_back({std::move(h), {}, {}});
        op->skipped = std::move(plan.skipped);
        op->resolve_hosts();
      });
      return;
  }
}

}  // namespace tern::dns
