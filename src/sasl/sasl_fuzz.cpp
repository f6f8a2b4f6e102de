// libFuzzer target for the SASL server steps and strict base64.
// Input: a first byte choosing the mechanism and whether the first line is
// an initial response, then client lines separated by LF.
// Invariants: base64 round-trips (decode(encode(x)) == x, and a decoded
// text re-encodes to itself: one encoding per value); an exchange ends
// within three lines; a `done` exchange has a non-empty user and password
// without NUL, each within kMaxFieldBytes; a challenge is valid base64.
#include <stddef.h>
#include <stdint.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "sasl/base64.h"
#include "sasl/mechanism.h"

using namespace tern::sasl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  uint8_t mode = data[0];

  auto whole = base64_decode(in);
  if (whole && base64_encode(*whole) != in) std::abort();  // not canonical, yet accepted
  if (base64_decode(base64_encode(in)) != in) std::abort();

  ServerExchange x(mode & 1 ? Mechanism::login : Mechanism::plain);
  Step s{Step::Kind::challenge, {}};
  bool first = true;
  int lines = 0;
  while (s.kind == Step::Kind::challenge) {
    if (!base64_decode(s.text)) std::abort();
    size_t lf = in.find('\n');
    std::string_view line = in.substr(0, lf);
    if (first && (mode & 2)) {
      s = x.start(line);
    } else {
      if (first) s = x.start(std::nullopt);
      if (s.kind != Step::Kind::challenge) break;
      s = x.step(line);
    }
    first = false;
    if (++lines > 3) std::abort();
    if (lf == std::string_view::npos) break;
    in.remove_prefix(lf + 1);
  }
  if (s.kind == Step::Kind::done) {
    auto c = x.take_credentials();
    if (c.authcid.empty() || c.password.empty()) std::abort();
    if (c.authcid.size() > kMaxFieldBytes || c.password.size() > kMaxFieldBytes) std::abort();
    if (c.authcid.find('\0') != std::string::npos || c.password.find('\0') != std::string::npos) std::abort();
  }
  return 0;
}
