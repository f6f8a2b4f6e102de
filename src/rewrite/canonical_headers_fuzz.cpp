// Fuzz target for CanonicalHeaders (and mail::address_spans under it): the
// rewritten content must not depend on how it is split into chunks, and a
// rewriting that matches nothing in the input must give the input back
// byte for byte (the header rewriter changes addresses, never the bytes
// around them). The first byte picks the chunk size and the field limit.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "rewrite/canonical.h"
#include "rewrite/canonical_headers.h"

using tern::rewrite::Canonical;
using tern::rewrite::CanonicalHeaders;

namespace {

std::shared_ptr<const Canonical> make(const char* text) {
  auto cfg = tern::config::load_string(std::string("myorigin = local.example\nmydestination = local.example\n") + text,
                                       "fuzz.cf");
  if (!cfg.ok()) __builtin_trap();
  auto c = Canonical::create(*cfg.config);
  if (!c.ok()) __builtin_trap();
  return *c;
}

std::string run(const std::shared_ptr<const Canonical>& c, std::string_view in, size_t chunk, size_t max) {
  CanonicalHeaders h(c, max);
  std::string out;
  for (size_t i = 0; i < in.size(); i += chunk)
    if (!h.feed(in.substr(i, chunk), out).ok()) __builtin_trap();
  if (!h.finish(out).ok()) __builtin_trap();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto rewriting = make("canonical_maps = inline:{ @x=@y, a@b=c@d }\nmasquerade_domains = m\n");
  static auto nothing = make("canonical_maps = inline:{ never@nowhere.invalid=x@y }\n");
  if (size < 1) return 0;
  size_t chunk = data[0] % 13u + 1;
  size_t max = (data[0] >> 4) * 16u + 8;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (run(rewriting, in, in.size() + 1, max) != run(rewriting, in, chunk, max)) __builtin_trap();
  // The map's keys match without regard to case, so the check must too.
  std::string folded(in);
  for (char& ch : folded) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (folded.find("nowhere.invalid") == std::string::npos && run(nothing, in, chunk, max) != in) __builtin_trap();
  return 0;
}
