// The subscriptions file (see subscriptions.h).
#include "imap/server/subscriptions.h"

#include "base/fs.h"
#include "imap/server/names.h"
#include "store/change_hub.h"

namespace tern::imap {

Subscriptions::Subscriptions(std::string path) : path_(std::move(path)) {
  if (path_.empty() || !fs::exists(path_)) return;
  auto data = fs::read_file(path_, 4u << 20, false);
  if (!data) return;
  std::string_view rest = *data;
  bool v2 = rest.starts_with("V\t2\n");
  while (!rest.empty() && names_.size() < kMaxSubscriptions) {
    size_t lf = rest.find('\n');
    std::string line(rest.substr(0, lf));
    rest = lf == std::string_view::npos ? std::string_view{} : rest.substr(lf + 1);
    if (v2) {
      if (line.starts_with("V\t")) continue;
      for (char& c : line)
        if (c == '\t') c = kDelimiter;
    }
    if (auto f = folder_of(line)) names_.insert(*f);
  }
}

Status Subscriptions::add(const std::string& folder) {
  if (names_.count(folder)) return ok_status();
  if (names_.size() >= kMaxSubscriptions) return Error::perm("too many subscriptions");
  names_.insert(folder);
  return save();
}

Status Subscriptions::remove(const std::string& folder) {
  if (names_.erase(folder) == 0) return ok_status();
  return save();
}

Status Subscriptions::save() {
  if (path_.empty()) return ok_status();
  std::string data;
  for (const auto& n : names_) data += n + "\n";
  Status st = fs::write_file_atomic(path_, data, 0600);
  if (st) store::ChangeHub::process().changed(path_);
  return st;
}

}  // namespace tern::imap
