// libFuzzer target: the per-type rdata decoders that read what a DNS server
// sent (records.h), and route planning over them. The first byte picks the
// type. Invariants: a decoded name is at most 1025 bytes and consumed the
// whole rdata; an MX plan never holds more than kMaxMxHosts hosts, each a
// valid host name, and a null MX or an error comes with a status.
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>

#include "dns/hostname.h"
#include "dns/records.h"
#include "dns/route.h"

using namespace tern::dns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 65536) return 0;
  std::span<const uint8_t> rd(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      if (auto a = decode_a(rd); a && rd.size() != 4) __builtin_trap();
      if (auto a = decode_aaaa(rd); a && rd.size() != 16) __builtin_trap();
      break;
    case 1:
      if (auto n = decode_name(rd); n && n->size() > 1025) __builtin_trap();
      break;
    case 2:
      if (auto mx = decode_mx(rd); mx && mx->host.size() > 1025) __builtin_trap();
      break;
    case 3: {
      // Split the rest into MX rdatas by a length byte each.
      Answer ans;
      ans.status = Answer::Status::ok;
      size_t i = 0;
      while (i < rd.size()) {
        size_t n = rd[i++];
        n = std::min(n, rd.size() - i);
        ans.records.emplace_back(rd.begin() + i, rd.begin() + i + n);
        i += n;
      }
      std::mt19937 rng(1);
      auto plan = plan_mx("fuzz.example", ans, rng);
      if (plan.error && plan.error->dsn.empty()) __builtin_trap();
      if (plan.hosts.size() > kMaxMxHosts) __builtin_trap();
      for (auto& h : plan.hosts)
        if (!hostname_problem(h.name).empty()) __builtin_trap();
      break;
    }
  }
  return 0;
}
