// libFuzzer target for IpAddress::parse and Cidr::parse/contains (cidr.cpp):
// no crash on any input, and what parses must print and re-parse to the same
// value; a network always contains its own address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "maps/cidr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tern::maps::Cidr;
  using tern::maps::IpAddress;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // First line: a network; the rest: an address to match against it.
  size_t nl = text.find('\n');
  std::string_view net_text = text.substr(0, nl);
  std::string_view addr_text = nl == std::string_view::npos ? text : text.substr(nl + 1);

  auto a = IpAddress::parse(addr_text);
  if (a) {
    auto again = IpAddress::parse(a->to_string());
    if (!again || !(*again == *a)) std::abort();
  }
  auto c = Cidr::parse(net_text);
  if ((bool)c != Cidr::parse_checked(net_text).ok()) std::abort();
  if (c) {
    if (c->prefix_len < 0 || c->prefix_len > (c->net.v6 ? 128 : 32)) std::abort();
    if (!c->contains(c->net)) std::abort();
    auto again = Cidr::parse(c->to_string());
    if (!again || !(again->net == c->net) || again->prefix_len != c->prefix_len) std::abort();
    if (a) (void)c->contains(*a);
  }
  return 0;
}
