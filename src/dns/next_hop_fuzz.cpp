// libFuzzer target: the next-hop parser (recipient domains, relayhost,
// transport_maps next hops). Invariants: an accepted hop prints in
// canonical form and parses back to itself; a name is a valid host name of
// at most 253 bytes; an address hop has an address and no name; a refusal
// carries a reason and the 5.1.2 status.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dns/hostname.h"
#include "dns/next_hop.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto hop = tern::dns::parse_next_hop(in);
  if (!hop) {
    if (hop.error().detail.empty() || hop.error().dsn != "5.1.2" || !hop.error().is_permanent()) __builtin_trap();
    return 0;
  }
  using Kind = tern::dns::NextHop::Kind;
  if (hop->kind == Kind::address) {
    if (!hop->address || !hop->name.empty()) __builtin_trap();
  } else {
    if (hop->address || !tern::dns::hostname_problem(hop->name).empty()) __builtin_trap();
    if (hop->name.size() > tern::dns::kMaxNameLength) __builtin_trap();
  }
  if (hop->port && *hop->port == 0) __builtin_trap();
  auto again = tern::dns::parse_next_hop(hop->to_string());
  if (!again || !(*again == *hop)) __builtin_trap();
  return 0;
}
