// Answer: one DNS query's outcome as the rest of the module sees it, with
// libunbound's result reduced to the four cases that matter for mail:
// records, no records of that type, no such name, or "try again" (SERVFAIL,
// REFUSED, a timeout, a DNSSEC failure, any library error). Pure data, so
// that route and peer-name logic can be tested with made-up answers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tern::dns {

// RR types tern asks for (RFC 1035, RFC 3596).
enum class RrType : uint16_t { a = 1, ptr = 12, mx = 15, aaaa = 28 };
const char* rr_type_name(RrType t);

struct Answer {
  enum class Status { ok, nodata, nxdomain, temporary };
  Status status = Status::temporary;
  std::vector<std::vector<uint8_t>> records;  // rdata per record (ok only)
  std::string canonical_name;  // the end of a CNAME chain, when there was one
  bool secure = false;          // DNSSEC-validated (for DANE, later)
  std::string problem;          // temporary: "SERVFAIL", "timed out after 10s", ...
};

}  // namespace tern::dns
