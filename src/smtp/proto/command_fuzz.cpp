// libFuzzer target: SMTP command parser, line splitter and DATA/BDAT decoders.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtp/proto/bdat_decoder.h"
#include "smtp/proto/command.h"
#include "smtp/proto/data_reader.h"
#include "smtp/proto/line_splitter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  tern::smtp::LineSplitter s(512);
  s.feed(in);
  for (;;) {
    auto n = s.next();
    if (n.kind == tern::smtp::LineSplitter::Kind::need_more) break;
    if (n.kind == tern::smtp::LineSplitter::Kind::line) (void)tern::smtp::parse_command(n.line);
  }
  for (auto policy : {tern::smtp::DataReader::BareNewline::reject, tern::smtp::DataReader::BareNewline::normalize}) {
    tern::smtp::DataReader r(1 << 16, policy);
    size_t used = r.feed(in);
    if (used > size) __builtin_trap();
    // Feeding byte by byte (no fast path) must decode exactly the same.
    tern::smtp::DataReader slow(1 << 16, policy);
    size_t n = 0;
    while (n < size && !slow.done()) n += slow.feed(in.substr(n, 1));
    if (n != used || slow.output() != r.output() || slow.done() != r.done() ||
        slow.saw_bare_newline() != r.saw_bare_newline() || slow.saw_nul() != r.saw_nul())
      __builtin_trap();
  }
  tern::smtp::BdatDecoder b(1 << 16);
  b.feed(in);
  b.finish();
  return 0;
}
