// LruMap: a map from string keys to values, bounded by a byte budget that
// the caller counts per entry; past it, the least recently used entries go
// first. The bookkeeping of tern's in-memory caches (proven logins, parsed
// messages), written once. Not thread-safe: the owner locks.
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace tern {

template <typename V>
class LruMap {
 public:
  // 0 empties the map and keeps it empty.
  void set_limit(size_t max_bytes) {
    max_bytes_ = max_bytes;
    evict_to(max_bytes_);
  }
  size_t limit() const { return max_bytes_; }
  // The value, now the most recently used; nullptr when absent.
  V* find(std::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->value;
  }
  // Adds or replaces; cost is what the entry holds beyond its key. An entry
  // larger than the whole budget is not kept.
  void put(std::string key, V value, size_t cost) {
    erase(key);
    const size_t total = cost + key.size() + kOverhead;
    if (total > max_bytes_) return;
    order_.push_front(Node{std::move(key), std::move(value), total});
    index_.emplace(order_.front().key, order_.begin());
    used_bytes_ += total;
    evict_to(max_bytes_);
  }
  void erase(std::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    used_bytes_ -= it->second->cost;
    auto node = it->second;
    index_.erase(it);
    order_.erase(node);
  }
  size_t entries() const { return order_.size(); }
  size_t used_bytes() const { return used_bytes_; }

 private:
  // The list node, the index slot and the key's heap block, roughly.
  static constexpr size_t kOverhead = 96;
  struct Node {
    std::string key;
    V value;
    size_t cost;
  };
  void evict_to(size_t limit) {
    while (used_bytes_ > limit && !order_.empty()) {
      used_bytes_ -= order_.back().cost;
      index_.erase(std::string_view(order_.back().key));
      order_.pop_back();
    }
  }
  size_t max_bytes_ = 0, used_bytes_ = 0;
  std::list<Node> order_;  // most recently used first
  std::unordered_map<std::string_view, typename std::list<Node>::iterator> index_;  // views into order_'s keys
};

}  // namespace tern
