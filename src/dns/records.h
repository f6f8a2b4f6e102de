// Decoding of the record data libunbound hands back (ub_result->data: one
// rdata per record, wire format, names uncompressed). libunbound parses the
// DNS message; what is left here is the per-type layout of one rdata: A (4
// bytes), AAAA (16), MX (preference + name), PTR (name). Names go through
// libc's dn_expand, which bounds them and escapes odd bytes, and then
// through hostname_problem() by the caller.
//
// SECURITY: rdata comes from any DNS server on the path. Every decoder
// checks the exact length and returns nullopt for anything else; a name is
// at most 1025 bytes of text here (NS_MAXDNAME) before validation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "dns/ip_address.h"

namespace tern::dns {

using Rdata = std::span<const uint8_t>;

struct MxRecord {
  uint16_t preference = 0;
  std::string host;  // as dn_expand writes it: "" for the root (null MX), escapes kept
  bool operator==(const MxRecord&) const = default;
};

std::optional<IpAddress> decode_a(Rdata rdata);
std::optional<IpAddress> decode_aaaa(Rdata rdata);
std::optional<MxRecord> decode_mx(Rdata rdata);
std::optional<std::string> decode_name(Rdata rdata);  // PTR, CNAME

}  // namespace tern::dns
