// Per-type rdata decoders (see records.h).
#include "dns/records.h"

#include <arpa/nameser.h>
#include <resolv.h>

#include <cstring>

namespace tern::dns {

namespace {
// A name that fills the rdata from `offset` exactly; nullopt otherwise.
std::optional<std::string> name_at(Rdata rdata, size_t offset) {
  if (offset >= rdata.size()) return std::nullopt;
  char out[NS_MAXDNAME];
  const uint8_t* begin = rdata.data();
  const uint8_t* end = begin + rdata.size();
  int used = dn_expand(begin, end, begin + offset, out, sizeof out);
  if (used < 0 || static_cast<size_t>(used) != rdata.size() - offset) return std::nullopt;
  return std::string(out);
}
}  // namespace

std::optional<IpAddress> decode_a(Rdata rdata) {
  if (rdata.size() != 4) return std::nullopt;
  IpAddress a;
  std::memcpy(a.bytes.data(), rdata.data(), 4);
  return a;
}

std::optional<IpAddress> decode_aaaa(Rdata rdata) {
  if (rdata.size() != 16) return std::nullopt;
  IpAddress a;
  a.family = IpAddress::Family::v6;
  std::memcpy(a.bytes.data(), rdata.data(), 16);
  return a;
}

std::optional<MxRecord> decode_mx(Rdata rdata) {
  if (rdata.size() < 3) return std::nullopt;
  auto host = name_at(rdata, 2);
  if (!host) return std::nullopt;
  return MxRecord{static_cast<uint16_t>(rdata[0] << 8 | rdata[1]), std::move(*host)};
}

std::optional<std::string> decode_name(Rdata rdata) { return name_at(rdata, 0); }

}  // namespace tern::dns
