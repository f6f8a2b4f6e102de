// libFuzzer target: the IMAP command reader and the typed parsers behind it.
// Property: feeding the input at once or in small pieces gives the same
// events (literal decisions taken from the input's first byte).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/command_reader.h"
#include "imap/proto/fetch.h"
#include "imap/proto/list.h"
#include "imap/proto/notify.h"
#include "imap/proto/sort.h"
#include "imap/proto/thread.h"
#include "imap/proto/search.h"
#include "imap/proto/select_params.h"
#include "imap/proto/store.h"

using namespace tern::imap;

namespace {

void parse_typed(const Command& c) {
  (void)parse_search(c.args, 0);
  (void)parse_fetch(c.args, 1);
  (void)parse_store(c.args, 1);
  (void)parse_list(c.args);
  (void)parse_sort(c.args, 0);
  (void)parse_thread(c.args, 0);
  (void)parse_select_params(c.args, 1);
  (void)parse_notify(c.args);
  for (const auto& a : c.args) {
    (void)a.astring();
    // base_subject only ever shortens, and is idempotent.
    std::string b = base_subject(a.text);
    if (b.size() > a.text.size() || base_subject(b) != b) __builtin_trap();
  }
}

std::vector<std::string> run(std::string_view in, size_t piece, uint8_t mode) {
  ReaderLimits l;
  l.max_line_bytes = 256;
  l.max_buffered_literal_bytes = 64;
  l.max_literal_bytes = 4096;
  l.literal_plus = mode & 1;
  l.literal_minus = mode & 2;
  l.max_depth = 8;
  l.max_values = 64;
  CommandReader r(l);
  std::vector<std::string> out;
  unsigned n = 0;
  for (size_t i = 0; i < in.size(); i += piece) {
    r.feed(in.substr(i, piece));
    for (;;) {
      Event e = r.next();
      if (e.kind == Event::Kind::need_more) break;
      std::string s = std::to_string(static_cast<int>(e.kind));
      if (e.kind == Event::Kind::command) {
        parse_typed(e.command);
        s += e.command.tag + " " + e.command.name + " " + std::to_string(e.command.args.size());
      } else if (e.kind == Event::Kind::literal) {
        unsigned d = (mode >> 2) + n++;
        if (d % 3 == 1) r.stream_literal();
        if (d % 3 == 2) r.refuse_literal();
      } else if (e.kind == Event::Kind::literal_chunk) {
        // Chunk boundaries differ with the feeding; their bytes must not.
        if (!out.empty() && out.back().rfind("chunk", 0) == 0) {
          out.back() += e.chunk;
          continue;
        }
        s = "chunk" + std::string(e.chunk);
      } else if (e.kind == Event::Kind::error) {
        s += e.error.response();
        if (e.error.close) {
          out.push_back(s);
          return out;
        }
      }
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (run(in, in.size() + 1, mode) != run(in, 1, mode)) __builtin_trap();
  return 0;
}
