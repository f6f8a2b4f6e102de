// lmdb:/path (also hash:/path and btree:/path, so Postfix configurations
// work): a table read from the indexed file /path.lmdb, which
// build_indexed() writes from the text source /path (`tern map build`,
// `newaliases`). Lookups never read the text source.
//
// Readers open the file MDB_RDONLY | MDB_NOLOCK: they need no write access
// and no lock file, which is safe because the file is never changed in place:
// build_indexed writes a new file beside it and renames it over. Each lookup
// stats /path.lmdb and reopens it when it was replaced, so long-running
// processes see a rebuilt table at once. A missing file makes lookups answer
// try_again (mail waits, it does not bounce) with the command that fixes it.
//
// SECURITY: the .lmdb file is trusted as much as its text source (same
// owner, built by tern; it is created with the source's permission bits, so a
// private table stays private). Keys are length-checked before mdb_get.
#include <errno.h>
#include <lmdb.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "maps/table_types.h"

namespace tern::maps {
namespace {

// One open database file; closed when the last lookup using it is done.
struct Env {
  MDB_env* env = nullptr;
  MDB_dbi dbi = 0;
  size_t max_key = 0;
  struct stat id {};  // of the open file, to notice when it is replaced
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  ~Env() {
    if (env) mdb_env_close(env);
  }
};

// a is the file we hold open, so its inode cannot be reused by another file:
// equal dev+ino means the very same file (size and mtime are extra caution).
bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

bool newer(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
}

class LmdbTable final : public Table {
 public:
  LmdbTable(std::string spec, std::string source, Format format)
      : spec_(std::move(spec)), source_(std::move(source)), db_path_(source_ + ".lmdb") {
    fix_ = format == Format::aliases ? "run newaliases" : fmt::format("run tern map build {}", source_);
  }

  Lookup lookup(std::string_view key) const override {
    auto env = current();
    if (!env) return {Status::try_again, {}, env.error().detail};
    std::string k = str::lower(key);
    if (k.empty() || k.size() > (*env)->max_key) return {};
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin((*env)->env, nullptr, MDB_RDONLY, &txn);
    if (rc != 0) return {Status::try_again, {}, fmt::format("{}: begin read: {}", db_path_, mdb_strerror(rc))};
    MDB_val mk{k.size(), k.data()};
    MDB_val mv{};
    rc = mdb_get(txn, (*env)->dbi, &mk, &mv);
    Lookup r;
    if (rc == 0)
      r = {Status::found, std::string(static_cast<const char*>(mv.mv_data), mv.mv_size), {}};
    else if (rc != MDB_NOTFOUND)
      r = {Status::try_again, {}, fmt::format("{}: lookup: {}", db_path_, mdb_strerror(rc))};
    mdb_txn_abort(txn);
    return r;
  }

  const std::string& spec() const override { return spec_; }

 private:
  // The open database, reopened if the file was replaced since.
  Result<std::shared_ptr<const Env>> current() const {
    struct stat st;
    if (::stat(db_path_.c_str(), &st) != 0) {
      int e = errno;
      if (e == ENOENT) return Error::temp(fmt::format("{} does not exist; {}", db_path_, fix_));
      return Error::temp(fmt::format("stat {}: {}", db_path_, strerror(e)));
    }
    std::lock_guard lock(mu_);
    if (env_ && same_file(env_->id, st)) return env_;
    auto opened = open_env();
    if (!opened) return opened.error();
    env_ = std::move(*opened);
    return env_;
  }

  Result<std::shared_ptr<const Env>> open_env() const {
    auto e = std::make_shared<Env>();
    auto fail = [&](const char* what, int rc) {
      return Error::temp(fmt::format("{}: {}: {}; {}", db_path_, what, mdb_strerror(rc), fix_));
    };
    int rc = mdb_env_create(&e->env);
    if (rc != 0) {
      e->env = nullptr;
      return fail("create environment", rc);
    }
    rc = mdb_env_open(e->env, db_path_.c_str(), MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS, 0);
    if (rc != 0) return fail("open", rc);
    MDB_txn* txn = nullptr;
    rc = mdb_txn_begin(e->env, nullptr, MDB_RDONLY, &txn);
    if (rc != 0) return fail("begin read", rc);
    rc = mdb_dbi_open(txn, nullptr, 0, &e->dbi);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return fail("open database", rc);
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) return fail("open database", rc);
    int max_key = mdb_env_get_maxkeysize(e->env);
    e->max_key = max_key > 0 ? static_cast<size_t>(max_key) : 0;
    mdb_filehandle_t fd;
    if (mdb_env_get_fd(e->env, &fd) != 0 || ::fstat(fd, &e->id) != 0)
      return Error::temp(fmt::format("fstat {}: {}", db_path_, strerror(errno)));
    struct stat src;
    if (::stat(source_.c_str(), &src) == 0 && newer(src.st_mtim, e->id.st_mtim))
      log::warn("database {} is older than source file {}; {}", db_path_, source_, fix_);
    return std::shared_ptr<const Env>(std::move(e));
  }

  std::string spec_, source_, db_path_, fix_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Env> env_;  // null until first opened
};

}  // namespace

namespace detail {

Result<std::shared_ptr<Table>> open_lmdb(std::string spec, const std::string& path, Format format) {
  if (path.empty()) return Error::perm(fmt::format("{}: missing file name", str::printable(spec, 200)));
  auto t = std::make_shared<LmdbTable>(std::move(spec), path, format);
  (void)t->lookup("");  // opens the file now, so "older than source" is logged at start-up
  return std::shared_ptr<Table>(std::move(t));
}

}  // namespace detail
}  // namespace tern::maps
