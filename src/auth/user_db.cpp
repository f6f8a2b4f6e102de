// UserDb: the passwd-file account database in memory, and its mutations.
// A mutation takes an exclusive flock on PATH.lock, re-reads the file, edits
// only the lines it concerns (comments and layout are kept), and replaces
// the file atomically (fs::write_file_atomic, mode 0600). Readers never lock:
// they see the old file or the new one, never a mix.
//
// SECURITY: reads and rewrites a file of password hashes; the lock file is
// created 0600 without following symlinks.
#include "auth/user_db.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "auth/passwd_line.h"
#include "base/fs.h"
#include "base/strings.h"

namespace tern::auth {
namespace {

constexpr std::string_view kSpecPrefix = "passwd-file:";
constexpr auto kLockTimeout = std::chrono::seconds(10);

// An exclusive flock on lock_path, held while the returned fd is open.
Result<UniqueFd> lock_exclusive(const std::string& lock_path) {
  UniqueFd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return fs::errno_error("open lock file", lock_path, errno);
  auto deadline = std::chrono::steady_clock::now() + kLockTimeout;
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return fs::errno_error("lock", lock_path, errno);
    if (std::chrono::steady_clock::now() >= deadline)
      return Error::temp(fmt::format("{} is locked by another process; try again", lock_path));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fd;
}

// The file's text; "" if it does not exist.
Result<std::string> read_if_exists(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return std::string();
  return fs::read_file(path);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines = str::split(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // after the final newline
  return lines;
}

// The lower-cased user of a line, "" for a comment or blank line. The file
// was parsed as a whole first, so the line is valid.
std::string line_user(const std::string& line) {
  auto u = parse_passwd_line(line, "", 0);
  return u && *u ? (*u)->address : std::string();
}

}  // namespace

Result<std::shared_ptr<UserDb>> UserDb::open(std::string_view spec) {
  if (!str::istarts_with(spec, kSpecPrefix))
    return Error::perm(fmt::format("user database '{}': only passwd-file:/path is supported", str::printable(spec)));
  std::string path(spec.substr(kSpecPrefix.size()));
  if (path.empty()) return Error::perm("user database passwd-file: has no path");
  auto text = read_if_exists(path);
  if (!text) return text.error();
  auto users = parse_passwd_file(*text, path);
  if (!users) return users.error();
  auto db = std::make_shared<UserDb>();
  db->path_ = std::move(path);
  db->set_users(std::move(*users));
  return db;
}

void UserDb::set_users(std::vector<User> users) {
  users_ = std::move(users);
  index_.clear();
  for (size_t i = 0; i < users_.size(); ++i) index_.emplace(users_[i].address, i);
}

std::optional<User> UserDb::find(std::string_view address) const {
  auto it = index_.find(str::lower(address));
  if (it == index_.end()) return std::nullopt;
  return users_[it->second];
}

Status UserDb::modify(const std::function<Status(std::vector<std::string>& lines)>& edit) {
  auto lock = lock_exclusive(path_ + ".lock");
  if (!lock) return lock.error();
  auto text = read_if_exists(path_);
  if (!text) return text.error();
  // Refuse to edit a file we could not load: fix it first.
  if (auto parsed = parse_passwd_file(*text, path_); !parsed) return parsed.error();
  std::vector<std::string> lines = split_lines(*text);
  if (Status st = edit(lines); !st) return st;
  std::string out;
  for (const auto& l : lines) {
    out += l;
    out += '\n';
  }
  auto users = parse_passwd_file(out, path_);
  if (!users) return users.error();  // an edit produced a bad line: a bug, but never write it
  if (Status st = fs::write_file_atomic(path_, out, 0600); !st) return st;
  set_users(std::move(*users));
  return ok_status();
}

Status UserDb::add(const User& u) {
  User n = u;
  n.address = str::lower(u.address);
  if (Status st = check_user(n); !st) return st;
  return modify([&](std::vector<std::string>& lines) -> Status {
    for (const auto& l : lines)
      if (line_user(l) == n.address) return Error::perm(fmt::format("user {} already exists", n.address));
    lines.push_back(format_passwd_line(n));
    return ok_status();
  });
}

Status UserDb::remove(std::string_view address) {
  std::string a = str::lower(address);
  return modify([&](std::vector<std::string>& lines) -> Status {
    size_t before = lines.size();
    std::erase_if(lines, [&](const std::string& l) { return line_user(l) == a; });
    if (lines.size() == before) return Error::perm(fmt::format("no such user: {}", str::printable(a)));
    return ok_status();
  });
}

Status UserDb::set_password(std::string_view address, const std::string& crypt_string) {
  if (Status st = check_crypt_string(crypt_string); !st) return st;
  std::string a = str::lower(address);
  return modify([&](std::vector<std::string>& lines) -> Status {
    bool found = false;
    for (auto& l : lines) {
      if (line_user(l) != a) continue;
      found = true;
      if (!l.empty() && l.back() == '\r') l.pop_back();
      // Replace field 2 only; uid, home, extra... stay as written.
      auto c1 = l.find(':');
      if (c1 == std::string::npos) {
        l += ':' + crypt_string;
        continue;
      }
      auto c2 = l.find(':', c1 + 1);
      l = l.substr(0, c1 + 1) + crypt_string + (c2 == std::string::npos ? std::string() : l.substr(c2));
    }
    if (!found) return Error::perm(fmt::format("no such user: {}", str::printable(a)));
    return ok_status();
  });
}

}  // namespace tern::auth
