// Test helpers shared by the store module's tests: a temporary directory
// removed afterwards, and a whole file read back.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

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

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tern::store::test_util
