// Test helper for the maps tests: a private temporary directory, removed
// with its contents at the end of the test.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "base/fs.h"

namespace tern::maps::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tern-maps-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (p) path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes name (relative to the directory) and returns its full path.
  std::string write(const std::string& name, std::string_view text) const {
    std::string p = fs::join(path_, name);
    (void)fs::write_file_atomic(p, text, 0644);
    return p;
  }

 private:
  std::string path_;
};

}  // namespace tern::maps::testing
