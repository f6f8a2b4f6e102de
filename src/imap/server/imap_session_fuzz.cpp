// libFuzzer target for the whole IMAP session over a real Maildir in a
// temporary directory (session_harness.h; imapd_timeout is 1800 s there).
//
// Input: the client's bytes, cut into segments by "~~~" (the client waits
// for the server's responses before what follows); "~~!" stalls the client
// (the rest is ignored). Any other "~" is a byte. Seeds log in as
// alice@virt.test/secret, so the fuzzer starts from the selected state.
//
// Invariants (ASan/UBSan aside): the run ends (no read left waiting with
// nothing to end it); the stream is closed at the end and nothing is
// written after that; nothing is ever created outside the accounts'
// Maildirs, whatever mailbox names the input tries.
#include <stddef.h>
#include <stdint.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/log.h"
#include "imap/server/session_harness.h"

namespace {

using namespace tern;

std::deque<io::Segment> segments(std::string_view in) {
  std::deque<io::Segment> out{""};
  std::string cur;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in.compare(i, 3, "~~~") == 0) {
      out.push_back(cur);
      out.push_back("");
      cur.clear();
      i += 2;
    } else if (in.compare(i, 3, "~~!") == 0) {
      out.push_back(cur);
      out.push_back(io::Segment::stall());
      return out;
    } else {
      cur += in[i];
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool quiet = [] {
    (void)log::configure("/dev/null", "imap_session_fuzz");  // the session logs every event
    return true;
  }();
  (void)quiet;
  if (size > 65536) return 0;
  imap::testing::FakeHost host;
  auto t = imap::testing::run(host, segments(std::string_view(reinterpret_cast<const char*>(data), size)));
  if (host.hung) std::abort();
  if (t.written_after_close != 0) std::abort();
  if (!t.closed) std::abort();
  // Nothing outside the account: the temporary directory holds "mail" only,
  // and "mail" holds alice's Maildir only.
  for (const auto& e : std::filesystem::directory_iterator(host.dir.path()))
    if (e.path().filename() != "mail") std::abort();
  if (std::filesystem::exists(host.dir.path() + "/mail"))
    for (const auto& e : std::filesystem::directory_iterator(host.dir.path() + "/mail"))
      if (e.path().filename() != "alice@virt.test" && e.path().filename() != "bob@virt.test") std::abort();
  return 0;
}
