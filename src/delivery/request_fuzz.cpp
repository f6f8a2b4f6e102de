// libFuzzer target: the decoders the root-owned local delivery process and
// the queue runner apply to each other's datagrams.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "delivery/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = tern::delivery::decode_request(in);
  if (r) {
    auto again = tern::delivery::decode_request(tern::delivery::encode_request(*r));
    if (!again || !tern::delivery::same_target(again->target, r->target)) __builtin_trap();
  }
  if (auto rep = tern::delivery::decode_reply(in); rep && rep->text.size() <= 1000) {
    auto again = tern::delivery::decode_reply(tern::delivery::encode_reply(*rep));
    if (!again || again->forward_to != rep->forward_to || again->text != rep->text) __builtin_trap();
  }
  if (auto f = tern::delivery::decode_file_request(in)) {
    auto again = tern::delivery::decode_file_request(tern::delivery::encode_file_request(*f));
    if (!again || again->path != f->path || again->tag != f->tag) __builtin_trap();
  }
  return 0;
}
