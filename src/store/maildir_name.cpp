// Unique Maildir file names (see maildir_name.h). The counter makes names
// from one process distinct even within one microsecond; the pid and host
// separate processes and machines sharing the Maildir.
#include "store/maildir_name.h"

#include <fmt/format.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>

#include "base/crlf.h"

namespace tern::store {

std::string maildir_escape_hostname(std::string_view host) {
  if (host.empty()) return "localhost";
  std::string out;
  out.reserve(host.size());
  for (char c : host) {
    if (c == '/')
      out += "\\057";
    else if (c == ':')
      out += "\\072";
    else
      out += c;
  }
  return out;
}

uint64_t crlf_size(std::string_view bytes) { return bytes.size() + crlf::bare_lf_count(bytes); }

uint64_t crlf_size(std::string_view a, std::string_view b) {
  uint64_t n = crlf_size(a) + crlf_size(b);
  // An LF that starts b after a CR that ends a was counted as bare.
  if (!a.empty() && !b.empty() && a.back() == '\r' && b.front() == '\n') --n;
  return n;
}

std::string maildir_unique_name(uint64_t size, uint64_t vsize) {
  return maildir_sized_name(maildir_unique_base(), size, vsize);
}

std::string maildir_sized_name(std::string name, uint64_t size, uint64_t vsize) {
  name += fmt::format(",S={}", size);
  if (vsize != 0) name += fmt::format(",W={}", vsize);
  return name;
}

std::string maildir_unique_base() {
  static std::atomic<uint64_t> counter{0};
  struct timeval tv;
  ::gettimeofday(&tv, nullptr);
  // Looked up once: a renamed host keeps its old name here, which only
  // has to keep names apart. The pid is asked every time, since delivery
  // children are forks of this process.
  static const std::string host = [] {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) buf[0] = '\0';
    return maildir_escape_hostname(buf);
  }();
  return fmt::format("{}.M{}P{}Q{}.{}", static_cast<long long>(tv.tv_sec), static_cast<long>(tv.tv_usec),
                     static_cast<long>(::getpid()), ++counter, host);
}

}  // namespace tern::store
