// build_indexed(): writes /path.lmdb from the text source /path, for
// `tern map build` and `newaliases` (Postfix's postmap/postalias).
//
// The file is replaced atomically (RELIABILITY.md #1): a NEW file is written
// beside it (/path.lmdb.tmp.PID), committed, synced and closed, fsynced once
// more through our own descriptor, renamed over /path.lmdb, and the directory
// is fsynced. Readers that have the old file open keep reading it until they
// notice the rename (lmdb_table.cpp), so there is never a half-built table.
// Entries are sorted and appended (MDB_APPEND), which packs pages densely.
//
// SECURITY: the source is parsed by parse_text (table_text.cpp), errors name
// file:line. The temporary file is created O_EXCL|O_NOFOLLOW, so a planted
// symlink cannot redirect the write; the result gets the source's permission
// bits, so a private source (e.g. passwords) does not become world-readable.
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"
#include "maps/table.h"
#include "maps/table_types.h"

namespace tern::maps {
namespace {

// Closes the environment on every path out of write_db.
struct EnvGuard {
  MDB_env* env = nullptr;
  ~EnvGuard() {
    if (env) mdb_env_close(env);
  }
};

size_t estimate_map_size(size_t source_size, const std::vector<Entry>& entries) {
  size_t data = 0;
  for (const auto& e : entries) data += e.key.size() + e.value.size() + 32;  // node header, pointer, slack
  size_t size = std::max<size_t>({size_t{1} << 20, 4 * source_size, 2 * data + (size_t{64} << 10)});
  const size_t mib = size_t{1} << 20;
  return (size + mib - 1) / mib * mib;
}

// Writes all entries into the (empty) file tmp. Sets *map_full when the map
// size was too small, so the caller can retry with a larger one.
tern::Status write_db(const std::string& tmp, const std::string& source, const std::vector<Entry>& entries,
                      size_t map_size, mode_t mode, bool* map_full) {
  *map_full = false;
  auto fail = [&](std::string_view what, int rc) {
    return Error::temp(fmt::format("{}: {}: {}", tmp, what, mdb_strerror(rc)));
  };
  EnvGuard g;
  int rc = mdb_env_create(&g.env);
  if (rc != 0) {
    g.env = nullptr;
    return fail("create environment", rc);
  }
  if ((rc = mdb_env_set_mapsize(g.env, map_size)) != 0) return fail("set map size", rc);
  if ((rc = mdb_env_open(g.env, tmp.c_str(), MDB_NOSUBDIR | MDB_NOLOCK, mode)) != 0) return fail("open", rc);
  size_t max_key = static_cast<size_t>(std::max(mdb_env_get_maxkeysize(g.env), 0));
  MDB_txn* txn = nullptr;
  if ((rc = mdb_txn_begin(g.env, nullptr, 0, &txn)) != 0) return fail("begin", rc);
  MDB_dbi dbi;
  if ((rc = mdb_dbi_open(txn, nullptr, 0, &dbi)) != 0) {
    mdb_txn_abort(txn);
    return fail("open database", rc);
  }
  for (const auto& e : entries) {
    if (e.key.size() > max_key) {
      mdb_txn_abort(txn);
      return Error::perm(
          fmt::format("{}:{}: key too long ({} bytes, at most {})", source, e.line, e.key.size(), max_key));
    }
    MDB_val k{e.key.size(), const_cast<char*>(e.key.data())};
    MDB_val v{e.value.size(), const_cast<char*>(e.value.data())};
    rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND);
    if (rc != 0) {
      mdb_txn_abort(txn);
      if (rc == MDB_MAP_FULL) *map_full = true;
      return Error::temp(fmt::format("{}:{}: cannot store entry in {}: {}", source, e.line, tmp, mdb_strerror(rc)));
    }
  }
  if ((rc = mdb_txn_commit(txn)) != 0) {
    if (rc == MDB_MAP_FULL) *map_full = true;
    return fail("commit", rc);
  }
  if ((rc = mdb_env_sync(g.env, 1)) != 0) return fail("sync", rc);
  return ok_status();
}

}  // namespace

tern::Status build_indexed(const std::string& source_path, Format format) {
  auto text = fs::read_file(source_path);
  if (!text) return text.error();
  auto entries = parse_text(*text, source_path, format, nullptr);
  if (!entries) return entries.error();
  // LMDB's default order is memcmp, then length: std::string's order.
  std::sort(entries->begin(), entries->end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });

  struct stat src;
  mode_t mode = 0644;
  if (::stat(source_path.c_str(), &src) == 0) mode = src.st_mode & 0666;

  const std::string db_path = source_path + ".lmdb";
  const std::string tmp = fmt::format("{}.tmp.{}", db_path, ::getpid());
  size_t map_size = estimate_map_size(text->size(), *entries);
  for (int attempt = 0;; ++attempt) {
    ::unlink(tmp.c_str());  // left over from a crashed run with our pid
    // O_EXCL|O_NOFOLLOW; LMDB treats the empty file as a new environment.
    auto fd = fs::create_exclusive(tmp, mode);
    if (!fd) return fd.error();
    bool map_full = false;
    tern::Status st = write_db(tmp, source_path, *entries, map_size, mode, &map_full);
    if (st) st = fs::fsync_fd(fd->get(), tmp);
    fd->reset();
    if (st) {
      st = fs::rename_replace(tmp, db_path);
      if (st) return fs::fsync_dir(fs::dirname(db_path));
    }
    ::unlink(tmp.c_str());
    if (!map_full || attempt >= 4) return st;
    map_size *= 2;
  }
}

}  // namespace tern::maps
