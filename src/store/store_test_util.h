// Test helpers shared by the store module's tests: a temporary directory
// removed afterwards, a whole file read back, a folder opened (or the test
// failed) and its UIDs, a folder's stamps set back (as if its last change
// were that old) and a message dropped into new/ as delivery does.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <vector>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "base/fd.h"
#include "store/mailbox.h"
#include "store/stamp_settle.h"

namespace tern::store::test_util {

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "tern-store-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() {
    ::chmod(path_.c_str(), 0700);
    std::filesystem::remove_all(path_);
  }
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The drafts left in a Maildir tmp/: its entries but the process's lock
// holders (dotlock_link.h), which stay there on purpose.
inline std::vector<std::string> drafts_in(const std::string& tmp_dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(tmp_dir)) {
    std::string name = e.path().filename().string();
    if (!name.starts_with("tern-lock.")) out.push_back(name);
  }
  return out;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Sets a path's mtime (and atime) to t seconds since the epoch.
inline void set_mtime(const std::string& path, time_t t) {
  struct timespec times[2] = {{t, 0}, {t, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

// Every stamp of a Maildir folder (cur/, new/, the index) set to t.
inline void stamp_folder_at(const std::string& dir, time_t t) {
  for (const char* p : {"/cur", "/new", "/dovecot-uidlist"}) set_mtime(dir + p, t);
}

// Whether the file system of dir stamps with nanoseconds (stamp_settle.h).
inline bool fine_stamps_at(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  return fd.valid() && fine_stamps(fd.get());
}

// A message file put into new/ by someone else (as delivery does).
inline void drop_into_new(const std::string& maildir, const std::string& name) {
  std::ofstream(maildir + "/new/" + name) << "Subject: dropped\n\nx\n";
}

inline void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

inline std::vector<uint32_t> uids(const Mailbox& mb) {
  std::vector<uint32_t> out;
  for (const MessageInfo& m : mb.messages()) out.push_back(m.uid);
  return out;
}

inline std::unique_ptr<Mailbox> open_ok(MailStore& store, std::string_view folder) {
  auto mb = store.open(folder);
  EXPECT_TRUE(mb) << (mb ? "" : mb.error().detail);
  return mb ? std::move(*mb) : nullptr;
}

}  // namespace tern::store::test_util
