// Implementation of ChangeHub (see change_hub.h).
#include "store/change_hub.h"

#include <algorithm>

#include "store/folder_inotify.h"

namespace tern::store {

ChangeHub::ChangeHub(bool kernel_watch) {
  if (kernel_watch) kernel_ = std::make_unique<FolderInotify>([this](const std::string& key) { changed(key); });
}

ChangeHub::~ChangeHub() = default;

ChangeHub& ChangeHub::process() {
  // Never destroyed: the inotify reader may still run while the process exits.
  static ChangeHub* hub = new ChangeHub(true);
  return *hub;
}

std::string ChangeHub::key(std::string_view dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  return std::string(dir);
}

std::unique_ptr<ChangeHub::Watch> ChangeHub::watch(std::string_view dir, Callback cb) {
  std::string k = key(dir);
  std::lock_guard lock(mu_);
  uint64_t id = next_id_++;
  auto& list = watchers_[k];
  if (list.empty() && kernel_) kernel_->add(k);  // false: the watcher's polling finds it
  list.emplace_back(id, std::move(cb));
  return std::unique_ptr<Watch>(new Watch(*this, std::move(k), id));
}

void ChangeHub::unwatch(const std::string& dir, uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = watchers_.find(dir);
  if (it == watchers_.end()) return;
  std::erase_if(it->second, [id](const auto& w) { return w.first == id; });
  if (it->second.empty()) {
    if (kernel_) kernel_->remove(dir);
    watchers_.erase(it);
  }
}

ChangeHub::Watch::~Watch() { hub_.unwatch(dir_, id_); }

void ChangeHub::changed(std::string_view dir) {
  std::lock_guard lock(mu_);
  if (watchers_.empty()) return;  // the common case for delivery: nobody in IDLE
  auto it = watchers_.find(key(dir));
  if (it == watchers_.end()) return;
  for (auto& [id, cb] : it->second) cb();
}

size_t ChangeHub::watcher_count() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [dir, list] : watchers_) n += list.size();
  return n;
}

}  // namespace tern::store
