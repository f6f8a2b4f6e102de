// PTR, then the forward check of each PTR name (see peer_name.h). All
// forward queries are sent at once; the first name in PTR order whose
// addresses include the client wins, as the order in the answer is the
// only preference DNS gives.
#include "dns/peer_name.h"

#include <fmt/format.h>

#include <algorithm>

#include "dns/hostname.h"
#include "dns/records.h"

namespace tern::dns {

namespace {

struct PeerLookup : std::enable_shared_from_this<PeerLookup> {
  std::shared_ptr<Resolver> resolver;
  PeerName result;
  PeerNameHandler done;
  std::vector<std::string> names;
  std::vector<Answer> forward;
  size_t outstanding = 0;

  void on_ptr(const Answer& ptr) {
    auto& r = result;
    if (ptr.status == Answer::Status::temporary) return end(PeerName::Status::temporary, "PTR lookup: " + ptr.problem);
    if (ptr.status != Answer::Status::ok) return end(PeerName::Status::no_name, "no PTR record");
    std::string bad;
    for (auto& rd : ptr.records) {
      auto n = decode_name(rd);
      if (!n) continue;
      if (auto why = hostname_problem(*n); !why.empty()) {
        if (bad.empty()) bad = fmt::format("PTR name is not a host name: {}", why);
        continue;
      }
      std::string c = canonical_name(*n);
      if (std::find(names.begin(), names.end(), c) == names.end()) names.push_back(std::move(c));
      if (names.size() >= kMaxPtrNames) break;
    }
    if (names.empty()) return end(PeerName::Status::no_name, bad.empty() ? "no PTR record" : bad);
    r.ptr_name = names.front();
    forward.resize(names.size());
    outstanding = names.size();
    RrType type = r.address.is_v4() ? RrType::a : RrType::aaaa;
    for (size_t i = 0; i < names.size(); ++i)
      resolver->query(names[i], type, [self = shared_from_this(), i](Answer a) {
        self->forward[i] = std::move(a);
        if (--self->outstanding == 0) self->on_forward();
      });
  }

  void on_forward() {
    bool temporary = false;
    for (size_t i = 0; i < names.size(); ++i) {
      auto& a = forward[i];
      if (a.status == Answer::Status::temporary) temporary = true;
      if (a.status != Answer::Status::ok) continue;
      for (auto& rd : a.records) {
        auto addr = result.address.is_v4() ? decode_a(rd) : decode_aaaa(rd);
        if (addr && *addr == result.address) {
          result.host = names[i];
          return end(PeerName::Status::confirmed, "");
        }
      }
    }
    if (temporary) return end(PeerName::Status::temporary, fmt::format("forward lookup of {} failed", names.front()));
    end(PeerName::Status::mismatch,
        fmt::format("hostname {} does not resolve to address {}", names.front(), result.address.text()));
  }

  void end(PeerName::Status s, std::string detail) {
    result.status = s;
    result.detail = std::move(detail);
    done(std::move(result));
  }
};

}  // namespace

void lookup_peer_name(std::shared_ptr<Resolver> resolver, const IpAddress& client, PeerNameHandler done) {
  auto op = std::make_shared<PeerLookup>();
  op->resolver = resolver;
  op->result.address = client.unmapped();
  op->done = std::move(done);
  resolver->query(reverse_name(op->result.address), RrType::ptr, [op](Answer a) { op->on_ptr(a); });
}

}  // namespace tern::dns
