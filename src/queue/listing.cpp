// Queue listing without reading message content (see listing.h).
#include "queue/listing.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
#include <thread>

#include "base/fd.h"
#include "base/strings.h"
#include "queue/reader.h"

namespace tern::queue {

namespace {

// The valid queue IDs in a directory, sorted (oldest first).
std::vector<std::string> ids_in(int dirfd) {
  std::vector<std::string> out;
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return out;
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return out;
  }
  while (auto* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (Spool::valid_id(name)) out.emplace_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

UniqueFd open_dir(const std::string& path) {
  return UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
}

std::string read_small(int dirfd, const std::string& name, size_t limit) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return {};
  std::string out;
  char buf[4096];
  while (out.size() < limit) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace

bool is_queue_name(std::string_view name) {
  return name == "active" || name == "incoming" || name == "deferred" || name == "hold" || name == "corrupt";
}

bool valid_site(std::string_view d) {
  if (d.empty() || d.size() > 255) return false;
  if (d.front() == '[') {  // an address literal, as in user@[192.0.2.1]
    if (d.size() < 3 || d.back() != ']') return false;
    for (char c : d.substr(1, d.size() - 2))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '.' && c != ':') return false;
    return true;
  }
  for (char c : d)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') return false;
  return d.front() != '.' && d.front() != '-';
}

bool in_queue(const ListedMessage& m, std::string_view name) {
  // tern has no separate incoming queue: a new message is in active/.
  if (name == "incoming") return m.queue_name == "active";
  return m.queue_name == name;
}

std::string reason_for(std::string_view note, std::string_view address) {
  std::string prefix = str::printable(address) + ": ";
  for (auto& line : str::split(note, '\n'))
    if (line.size() > prefix.size() && line.compare(0, prefix.size(), prefix) == 0) return line.substr(prefix.size());
  return {};
}

namespace {

// The IDs with a defer note, from one read of defer/.
struct Notes {
  UniqueFd dir;
  std::vector<std::string> ids;  // sorted
  explicit Notes(const Spool& spool) : dir(open_dir(spool.area_dir(Area::defer))) {
    if (dir.valid()) ids = ids_in(dir.get());
  }
  bool has(const std::string& id) const { return std::binary_search(ids.begin(), ids.end(), id); }
};

const char* queue_name_of(Area area, bool noted) {
  return area == Area::hold ? "hold" : area == Area::corrupt ? "corrupt" : noted ? "deferred" : "active";
}

constexpr Area kListed[] = {Area::active, Area::hold, Area::corrupt};

// Reads the first block of the files the scan is about to read, on a few
// threads, so that a cold page cache is filled by many disk reads in flight
// instead of one at a time (100,000 files: ~20 s -> ~4 s on a virtual
// disk). The threads start only once reads turn out slow: a warm cache
// gains nothing from them and would pay for every file twice. The scan
// itself stays in order on the caller's thread; the threads stay at most
// kWindow files ahead of it.
class Prefetcher {
 public:
  static constexpr size_t kWindow = 4096;
  static constexpr int kThreads = 16;
  static constexpr int kSlowReads = 8;  // before the threads start
  static constexpr auto kSlow = std::chrono::microseconds(200);
  Prefetcher(int dirfd, int notes_dirfd, const std::vector<std::string>& ids, const Notes& notes)
      : dirfd_(dirfd), notes_dirfd_(notes_dirfd), ids_(ids), notes_(notes) {}
  ~Prefetcher() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }
  // The scan is at file i, whose read took `took`.
  void at(size_t i, std::chrono::steady_clock::duration took) {
    pos_.store(i, std::memory_order_relaxed);
    if (threads_.empty() && took > kSlow && ++slow_ >= kSlowReads && ids_.size() - i > 64) {
      next_ = i + 1;
      for (int k = 0; k < kThreads; ++k) threads_.emplace_back([this] { run(); });
    }
  }

 private:
  void touch(int dirfd, const std::string& name) {
    int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return;
    char buf[4096];
    (void)!::pread(fd, buf, sizeof buf, 0);
    ::close(fd);
  }
  void run() {
    for (;;) {
      size_t i = next_.fetch_add(1);
      if (i >= ids_.size()) return;
      while (i > pos_.load(std::memory_order_relaxed) + kWindow) {
        if (stop_) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (stop_) return;
      touch(dirfd_, ids_[i]);
      if (notes_dirfd_ >= 0 && notes_.has(ids_[i])) touch(notes_dirfd_, ids_[i]);
    }
  }
  int dirfd_, notes_dirfd_;
  const std::vector<std::string>& ids_;
  const Notes& notes_;
  int slow_ = 0;
  std::atomic<size_t> next_{0}, pos_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

}  // namespace

std::vector<QueuedId> queued_ids(const Spool& spool) {
  std::vector<QueuedId> out;
  Notes notes(spool);
  for (Area area : kListed) {
    UniqueFd dir = open_dir(spool.area_dir(area));
    if (!dir.valid()) continue;
    for (auto& id : ids_in(dir.get())) {
      const char* name = queue_name_of(area, notes.has(id));
      out.push_back({std::move(id), name});
    }
  }
  return out;
}

void scan_queue(const Spool& spool, const std::function<bool(const ListedMessage&)>& fn) {
  Notes notes(spool);
  for (Area area : kListed) {
    UniqueFd dir = open_dir(spool.area_dir(area));
    if (!dir.valid()) continue;
    std::vector<std::string> ids = ids_in(dir.get());
    Prefetcher prefetch(dir.get(), notes.dir.get(), ids, notes);
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::string& id = ids[i];
      ListedMessage m;
      m.id = id;
      const bool noted = notes.has(id);
      m.queue_name = queue_name_of(area, noted);
      auto t0 = std::chrono::steady_clock::now();
      auto env = read_envelope_head(dir.get(), id);
      prefetch.at(i, std::chrono::steady_clock::now() - t0);
      if (!env) {
        if (str::istarts_with(env.error().detail, id + ": not found")) continue;  // delivered meanwhile
        struct stat st;
        if (::fstatat(dir.get(), id.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
          m.size = static_cast<uint64_t>(st.st_size);
          m.arrival = st.st_mtime;
        }
        m.error = env.error().detail;
        if (!fn(m)) return;
        continue;
      }
      m.arrival = env->arrival;
      m.size = env->content_size;
      m.sender = std::move(env->sender);
      std::string note = noted ? read_small(notes.dir.get(), id, 1 << 20) : "";
      for (auto& r : env->recipients) {
        if (r.done) continue;
        std::string why = note.empty() ? std::string() : reason_for(note, r.address);
        m.recipients.push_back({std::move(r.address), std::move(why)});
      }
      if (!fn(m)) return;
    }
  }
}

}  // namespace tern::queue
