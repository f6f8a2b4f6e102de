// Quota rules and the Maildir++ maildirsize file (see quota.h).
#include "store/quota.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <vector>

#include "base/fd.h"
#include "base/fs.h"
#include "base/strings.h"
#include "store/maildir_filename.h"
#include "store/maildir_name.h"

namespace tern::store {

namespace {

constexpr const char* kFileName = "maildirsize";
constexpr size_t kRebuildBytes = 5120;  // Maildir++: past this, recalculate
constexpr size_t kMaxReadBytes = 1 << 20;

std::optional<uint64_t> number(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<int64_t> signed_number(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// "1G", "100M", "512k", "10b", "2048" (kilobytes): Dovecot's quota sizes.
std::optional<uint64_t> quota_size(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t mult = 1024;  // a bare number is kilobytes
  char unit = s.back();
  switch (unit) {
    case 'b': case 'B': mult = 1; break;
    case 'k': case 'K': mult = 1024; break;
    case 'm': case 'M': mult = 1024ull * 1024; break;
    case 'g': case 'G': mult = 1024ull * 1024 * 1024; break;
    case 't': case 'T': mult = 1024ull * 1024 * 1024 * 1024; break;
    default: unit = 0;
  }
  if (unit) s.remove_suffix(1);
  auto n = number(s);
  if (!n || *n > UINT64_MAX / mult) return std::nullopt;
  return *n * mult;
}

// At most `max` bytes of a file; nullopt on a read error.
std::optional<std::string> read_small(int fd, size_t max) {
  std::string out(max, '\0');
  size_t got = 0;
  while (got < max) {
    ssize_t n = ::read(fd, out.data() + got, max - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

// Sums one folder's cur/ and new/: sizes from the ",S=" of the name, else
// from the file.
void add_folder(const std::string& dir, QuotaUsage& u) {
  for (const char* sub : {"cur", "new"}) {
    std::string path = fs::join(dir, sub);
    DIR* d = ::opendir(path.c_str());
    if (!d) continue;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (!maildir_name_ok(name)) continue;
      MaildirFilename f = parse_maildir_filename(name);
      uint64_t size = 0;
      if (f.size_bytes) {
        size = *f.size_bytes;
      } else {
        struct stat st;
        if (::fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
        size = static_cast<uint64_t>(st.st_size);
      }
      u.bytes += static_cast<int64_t>(size);
      u.messages += 1;
    }
    ::closedir(d);
  }
}

}  // namespace

Result<QuotaRule> parse_quota_rule(std::string_view rule) {
  QuotaRule r;
  if (rule == "none" || rule.empty()) return r;
  auto parts = str::split(rule, ':');
  if (parts[0] != "*")
    return Error::perm(fmt::format("quota rule '{}': only whole-account rules ('*:storage=1G') are supported", rule));
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view p = parts[i];
    if (p == "ignore") return QuotaRule{};
    size_t eq = p.find('=');
    std::string_view key = p.substr(0, eq), value = eq == std::string_view::npos ? "" : p.substr(eq + 1);
    if (key == "storage") {
      auto v = quota_size(value);
      if (!v) return Error::perm(fmt::format("quota rule '{}': bad storage size '{}' (e.g. 1G, 500M)", rule, value));
      r.storage_bytes = *v;
    } else if (key == "bytes") {
      auto v = number(value);
      if (!v) return Error::perm(fmt::format("quota rule '{}': bad byte count '{}'", rule, value));
      r.storage_bytes = *v;
    } else if (key == "messages") {
      auto v = number(value);
      if (!v) return Error::perm(fmt::format("quota rule '{}': bad message count '{}'", rule, value));
      r.messages = *v;
    } else {
      return Error::perm(fmt::format("quota rule '{}': unknown limit '{}' (storage, bytes or messages)", rule, key));
    }
  }
  return r;
}

Result<std::optional<QuotaRule>> quota_rule_from_extra(std::string_view extra) {
  std::optional<QuotaRule> out;
  for (std::string_view field : str::split(extra, ' ')) {
    if (field.starts_with("userdb_")) field.remove_prefix(7);
    if (!field.starts_with("quota_rule")) continue;
    size_t eq = field.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = field.substr(0, eq);
    if (key != "quota_rule" && !(key.size() > 10 && number(key.substr(10)))) continue;  // quota_rule2, ...
    auto r = parse_quota_rule(field.substr(eq + 1));
    if (!r) return r.error();
    if (!out) out = QuotaRule{};
    if (r->storage_bytes) out->storage_bytes = r->storage_bytes;
    if (r->messages) out->messages = r->messages;
  }
  return out;
}

std::optional<MaildirSize> parse_maildirsize(std::string_view text) {
  if (text.size() > kMaxReadBytes) return std::nullopt;
  auto lines = str::split(text, '\n');
  if (lines.empty()) return std::nullopt;
  if (!lines.back().empty()) return std::nullopt;  // a line being written (no LF yet): rebuild
  lines.pop_back();
  if (lines.empty() || lines[0].empty()) return std::nullopt;
  MaildirSize m;
  // "<n>S,<m>C", either part may be missing; "0S" or empty means none.
  for (std::string_view part : str::split(lines[0], ',')) {
    if (part.empty()) continue;
    char kind = part.back();
    auto n = number(part.substr(0, part.size() - 1));
    if (!n) return std::nullopt;
    if (kind == 'S') m.limits.storage_bytes = *n;
    else if (kind == 'C') m.limits.messages = *n;
    else return std::nullopt;
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    while (l.starts_with(' ')) l.remove_prefix(1);
    size_t sp = l.find(' ');
    if (sp == std::string_view::npos) return std::nullopt;
    std::string_view b = l.substr(0, sp), c = l.substr(sp + 1);
    while (c.starts_with(' ')) c.remove_prefix(1);
    auto bytes = signed_number(b), count = signed_number(c);
    if (!bytes || !count) return std::nullopt;
    if (__builtin_add_overflow(m.usage.bytes, *bytes, &m.usage.bytes) ||
        __builtin_add_overflow(m.usage.messages, *count, &m.usage.messages))
      return std::nullopt;
    ++m.lines;
  }
  return m;
}

std::string maildirsize_header(const QuotaRule& rule) {
  std::string h;
  if (rule.storage_bytes) h += fmt::format("{}S", rule.storage_bytes);
  if (rule.messages) h += fmt::format("{}{}C", h.empty() ? "" : ",", rule.messages);
  if (h.empty()) h = "0S";
  return h;
}

Result<QuotaUsage> quota_recalculate(const std::string& root, const QuotaRule& rule) {
  QuotaUsage u;
  // An account that has had no mail has no Maildir yet: nothing used, and
  // no file to write until delivery makes the Maildir.
  if (struct stat st; ::stat(root.c_str(), &st) != 0 && errno == ENOENT) return u;
  add_folder(root, u);
  if (DIR* d = ::opendir(root.c_str())) {
    while (struct dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n.size() < 2 || n[0] != '.' || n == "..") continue;
      if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;  // a symlinked folder is not counted
      add_folder(fs::join(root, std::string(n)), u);
    }
    ::closedir(d);
  }
  std::string text = fmt::format("{}\n{} {}\n", maildirsize_header(rule), u.bytes, u.messages);
  // Unique per writer (delivery threads, sessions, other processes).
  std::string tmp = fs::join(root, fmt::format("{}.{}.tmp", kFileName, maildir_unique_base()));
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return fs::errno_error("create", tmp, errno);
  if (Status st = fs::write_all(fd.get(), text, tmp); !st) {
    ::unlink(tmp.c_str());
    return st.error();
  }
  fd.reset();
  if (::rename(tmp.c_str(), fs::join(root, kFileName).c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fs::errno_error("rename", tmp, err);
  }
  return u;
}

Result<QuotaUsage> quota_usage(const std::string& root, const QuotaRule& rule) {
  std::string path = fs::join(root, kFileName);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.valid()) {
    struct stat st;
    if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && static_cast<size_t>(st.st_size) <= kRebuildBytes) {
      auto text = read_small(fd.get(), kRebuildBytes + 1);
      if (text) {
        auto m = parse_maildirsize(*text);
        if (m && m->limits.storage_bytes == rule.storage_bytes && m->limits.messages == rule.messages &&
            m->usage.bytes >= 0 && m->usage.messages >= 0)
          return m->usage;
      }
    }
  }
  return quota_recalculate(root, rule);
}

Status quota_add(const std::string& root, int64_t bytes, int64_t messages) {
  std::string path = fs::join(root, kFileName);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return ok_status();
    return fs::errno_error("open", path, errno);
  }
  // One write of one short line: O_APPEND keeps concurrent writers' lines whole.
  return fs::write_all(fd.get(), fmt::format("{} {}\n", bytes, messages), path);
}

bool quota_exceeded(const QuotaRule& rule, const QuotaUsage& usage, uint64_t bytes, uint64_t messages) {
  if (rule.storage_bytes && static_cast<uint64_t>(std::max<int64_t>(usage.bytes, 0)) + bytes > rule.storage_bytes)
    return true;
  if (rule.messages && static_cast<uint64_t>(std::max<int64_t>(usage.messages, 0)) + messages > rule.messages)
    return true;
  return false;
}

}  // namespace tern::store
