// Implementation of the queue directory layout (see spool.h).
#include "queue/spool.h"

#include <fcntl.h>

#include <dirent.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"

namespace tern::queue {
namespace {

const char* area_name(Area a) {
  switch (a) {
    case Area::tmp: return "tmp";
    case Area::active: return "active";
    case Area::hold: return "hold";
    case Area::corrupt: return "corrupt";
    case Area::defer: return "defer";
  }
  return "?";
}

}  // namespace

std::string Spool::area_dir(Area a) const { return fs::join(dir_, area_name(a)); }
std::string Spool::path(Area a, const std::string& id) const { return fs::join(area_dir(a), id); }
std::string Spool::socket_path() const { return fs::join(dir_, "public/submit"); }

Status Spool::init() const {
  // The top directory is searchable by everyone (0711) so that local users
  // reach public/submit; every area below it is private (0700).
  auto top = fs::make_dirs(dir_, 0711);
  if (!top) return top;
  struct stat st;
  if (::stat(dir_.c_str(), &st) == 0 && st.st_uid == ::geteuid()) ::chmod(dir_.c_str(), 0711);
  for (Area a : {Area::tmp, Area::active, Area::hold, Area::corrupt, Area::defer}) {
    auto st = fs::make_dirs(area_dir(a), 0700);
    if (!st) return st;
  }
  return fs::make_dirs(fs::join(dir_, "public"), 0711);
}

std::string Spool::new_id() {
  static std::atomic<unsigned> counter{0};
  struct timeval tv;
  ::gettimeofday(&tv, nullptr);
  unsigned c = counter.fetch_add(1, std::memory_order_relaxed);
  // 8 hex seconds + 5 hex microseconds + 3 hex (counter offset by a pid
  // hash: distinct for 4096 IDs in one microsecond in one process).
  unsigned tail = (c + static_cast<unsigned>(::getpid()) * 2654435761u) & 0xfff;
  return fmt::format("{:08X}{:05X}{:03X}", static_cast<unsigned>(tv.tv_sec), static_cast<unsigned>(tv.tv_usec), tail);
}

bool Spool::valid_id(std::string_view id) {
  if (id.size() != 16) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); });
}

std::vector<std::string> Spool::list(Area a) const {
  std::vector<std::string> out;
  DIR* d = ::opendir(area_dir(a).c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (valid_id(name)) out.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

Result<Area> Spool::locate(const std::string& id) const {
  if (!valid_id(id)) return Error::perm("not a queue ID: " + id);
  for (Area a : {Area::active, Area::hold, Area::corrupt})
    if (fs::exists(path(a, id))) return a;
  return Error::perm(id + ": no such message in the queue");
}

Status Spool::move(const std::string& id, Area from, Area to) const {
  auto st = fs::rename_noreplace(path(from, id), path(to, id));
  if (!st) return st;
  auto s1 = fs::fsync_dir(area_dir(to));
  if (!s1) return s1;
  return fs::fsync_dir(area_dir(from));
}

Status Spool::remove(const std::string& id) const {
  if (!valid_id(id)) return Error::perm("not a queue ID: " + id);
  bool found = false;
  for (Area a : {Area::active, Area::hold, Area::corrupt}) {
    if (::unlink(path(a, id).c_str()) == 0) found = true;
  }
  ::unlink(path(Area::defer, id).c_str());
  if (!found) return Error::perm(id + ": no such message in the queue");
  return ok_status();
}

int Spool::remove_partial() const {
  int n = 0;
  DIR* d = ::opendir(area_dir(Area::tmp).c_str());
  if (!d) return 0;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (::unlink(fs::join(area_dir(Area::tmp), name).c_str()) == 0) ++n;
  }
  ::closedir(d);
  return n;
}

void Spool::write_defer_note(const std::string& id, const std::string& text) const {
  auto p = path(Area::defer, id);
  auto tmp = p + ".new";
  ::unlink(tmp.c_str());
  auto fd = fs::create_exclusive(tmp, 0600);
  if (!fd || !fs::write_all(fd->get(), text, tmp)) return;
  fd->reset();
  (void)fs::rename_replace(tmp, p);
}

void Spool::set_next_attempt(const std::string& id, std::time_t when) const {
  struct timespec times[2] = {{when, 0}, {when, 0}};
  (void)::utimensat(AT_FDCWD, path(Area::defer, id).c_str(), times, AT_SYMLINK_NOFOLLOW);
}

std::optional<std::time_t> Spool::next_attempt(const std::string& id) const {
  struct stat st {};
  if (::lstat(path(Area::defer, id).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return st.st_mtime;
}

std::string Spool::read_defer_note(const std::string& id) const {
  auto r = fs::read_file(path(Area::defer, id), 1 << 20);
  return r ? *r : std::string();
}

}  // namespace tern::queue
