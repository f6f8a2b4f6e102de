// Unique Maildir file names (see maildir_name.h). The counter makes names
// from one process distinct even within one microsecond; the pid and host
// separate processes and machines sharing the Maildir.
#include "store/maildir_name.h"

#include <fmt/format.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>

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

std::string maildir_unique_name(uint64_t size) {
  static std::atomic<uint64_t> counter{0};
  struct timeval tv;
  ::gettimeofday(&tv, nullptr);
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}.M{}P{}Q{}.{},S={}", static_cast<long long>(tv.tv_sec), static_cast<long>(tv.tv_usec),
                     static_cast<long>(::getpid()), ++counter, maildir_escape_hostname(host), size);
}

}  // namespace tern::store
