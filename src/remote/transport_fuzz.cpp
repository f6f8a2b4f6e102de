// libFuzzer target: transport_maps values (parse_transport_value), then the
// next hop they name, as TransportResolver reads them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dns/next_hop.h"
#include "remote/transport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto v = tern::remote::parse_transport_value(in);
  if (v) {
    if (v->transport.size() + v->nexthop.size() > in.size()) __builtin_trap();
    if (!v->nexthop.empty()) (void)tern::dns::parse_next_hop(v->nexthop);
  }
  return 0;
}
