// Implementation of ChangeHub (see change_hub.h).
#include "store/change_hub.h"

#include <algorithm>

#include "base/burst.h"
#include "store/folder_inotify.h"

namespace tern::store {

ChangeHub::ChangeHub(bool kernel_watch) {
  if (kernel_watch) kernel_ = std::make_unique<FolderInotify>([this](const std::string& key) { changed_by_kernel(key); });
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
  // False: the watcher's polling finds what others change.
  if (kernel_) {
    if (list.empty())
      kernel_->add(k);
    else
      kernel_->retry(k);  // a watch lost since (the folder went and came back)
  }
  list.emplace(id, std::move(cb));
  return std::unique_ptr<Watch>(new Watch(*this, std::move(k), id));
}

void ChangeHub::unwatch(const std::string& dir, uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = watchers_.find(dir);
  if (it == watchers_.end()) return;
  it->second.erase(id);
  if (it->second.empty()) {
    if (kernel_) kernel_->remove(dir);
    watchers_.erase(it);
  }
}

ChangeHub::Watch::~Watch() { hub_.unwatch(dir_, id_); }

void ChangeHub::changed(std::string_view dir) {
  std::lock_guard lock(mu_);
  if (watchers_.empty()) return;  // the common case for delivery: nobody in IDLE
  std::string k = key(dir);
  auto it = watchers_.find(k);
  if (it == watchers_.end()) return;
  tell(it->second);
}

void ChangeHub::changed_in(std::string_view dir, std::string_view sub) {
  std::string k = key(dir);
  {
    std::lock_guard lock(mu_);
    if (!watchers_.contains(k)) return;
  }
  // Not under mu_: the reader takes the kernel watcher's lock, then ours.
  if (kernel_ && kernel_->covers(k, k + "/" + std::string(sub))) return;
  changed(k);
}

void ChangeHub::changed_by_kernel(const std::string& dir) {
  std::lock_guard lock(mu_);
  auto it = watchers_.find(dir);
  if (it != watchers_.end()) tell(it->second);
}

void ChangeHub::tell(std::unordered_map<uint64_t, Callback>& watchers) {
  ++generation_;
  base::Burst burst;  // each event loop woken once, after all are told
  for (auto& [id, cb] : watchers) cb();
}

size_t ChangeHub::watcher_count() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [dir, list] : watchers_) n += list.size();
  return n;
}

}  // namespace tern::store
