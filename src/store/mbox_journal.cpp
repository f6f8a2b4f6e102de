// The mbox append record (see mbox_journal.h): its one-line format, and
// whether the process that wrote it is still alive.
#include "store/mbox_journal.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace tern::store {
namespace {

constexpr std::string_view kMagic = "tern-mbox-append 1";
constexpr size_t kMaxRecord = 512;

std::string read_small(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Field 22 of /proc/PID/stat, after the ")" that ends the command name.
std::optional<uint64_t> start_ticks_of(int64_t pid) {
  std::string stat = read_small(fmt::format("/proc/{}/stat", pid));
  auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i)
    if (i == 22) {
      uint64_t v = 0;
      auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
      if (ec == std::errc() && p == field.data() + field.size()) return v;
    }
  return std::nullopt;
}

std::string boot_id() { return read_small("/proc/sys/kernel/random/boot_id"); }

// The host name, with anything that could break the one-line record as '_'.
std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "unknown";
  std::string h(buf);
  for (char& ch : h)
    if (ch <= ' ' || ch == '=' || ch == 0x7f) ch = '_';
  return h;
}

bool parse_u64(std::string_view s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

}  // namespace

AppendRecord record_for_self() {
  AppendRecord r;
  r.host = host_name();
  r.pid = ::getpid();
  r.start_ticks = start_ticks_of(r.pid).value_or(0);
  r.boot_id = boot_id();
  return r;
}

std::string format_record(const AppendRecord& r) {
  std::string s = fmt::format("{} host={} pid={} start={} boot={}", kMagic, r.host, r.pid, r.start_ticks, r.boot_id);
  if (r.has_append)
    s += fmt::format(" dev={} ino={} from={} to={}", r.dev, r.ino, r.size_before, r.size_after);
  return s + "\n";
}

std::optional<AppendRecord> parse_record(std::string_view text) {
  if (text.size() > kMaxRecord || text.substr(0, kMagic.size()) != kMagic || text.back() != '\n')
    return std::nullopt;
  text.remove_prefix(kMagic.size());
  text.remove_suffix(1);
  AppendRecord r;
  unsigned seen = 0;  // one bit per key: each exactly once
  while (!text.empty()) {
    if (text.front() != ' ') return std::nullopt;
    text.remove_prefix(1);
    auto end = text.find(' ');
    std::string_view item = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    static constexpr std::string_view kKeys[] = {"host", "pid", "start", "boot", "dev", "ino", "from", "to"};
    unsigned bit = 0;
    while (bit < 8 && kKeys[bit] != key) ++bit;
    if (bit == 8 || (seen & (1u << bit)) || value.empty()) return std::nullopt;
    seen |= 1u << bit;
    if (bit == 0 || bit == 3) {
      (bit == 0 ? r.host : r.boot_id) = std::string(value);
      continue;
    }
    uint64_t n = 0;
    if (!parse_u64(value, n)) return std::nullopt;
    switch (bit) {
      case 1:
        if (n == 0 || n >= (1u << 30)) return std::nullopt;
        r.pid = static_cast<int64_t>(n);
        break;
      case 2: r.start_ticks = n; break;
      case 4: r.dev = n; break;
      case 5: r.ino = n; break;
      case 6: r.size_before = n; break;
      default: r.size_after = n; break;
    }
  }
  if ((seen & 0x0f) != 0x0f || ((seen & 0xf0) != 0 && (seen & 0xf0) != 0xf0)) return std::nullopt;
  r.has_append = (seen & 0xf0) == 0xf0;
  if (r.has_append && r.size_after < r.size_before) return std::nullopt;
  return r;
}

bool holder_is_gone(const AppendRecord& r) {
  if (r.host != host_name()) return false;  // only its own host can tell
  if (r.boot_id != boot_id()) return true;
  auto ticks = start_ticks_of(r.pid);
  return !ticks || *ticks != r.start_ticks;
}

}  // namespace tern::store
