// Implementation of Burst (see burst.h): a thread-local list of what the
// outermost burst runs at its end.
#include "base/burst.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

namespace tern::base {
namespace {

struct Deferred {
  const void* key;
  std::function<void()> fn;
};

thread_local int depth = 0;
thread_local std::vector<Deferred>* pending = nullptr;

}  // namespace

Burst::Burst() {
  if (depth++ == 0) pending = new std::vector<Deferred>();
}

Burst::~Burst() {
  if (--depth != 0) return;
  // Taken off first: what runs here may begin a burst of its own.
  std::unique_ptr<std::vector<Deferred>> now(std::exchange(pending, nullptr));
  for (auto& d : *now) d.fn();
}

bool Burst::defer(const void* key, std::function<void()> fn) {
  if (depth == 0) return false;
  // A few keys per burst (one per event loop): a scan is cheaper than a map.
  if (std::none_of(pending->begin(), pending->end(), [&](const Deferred& d) { return d.key == key; }))
    pending->push_back({key, std::move(fn)});
  return true;
}

}  // namespace tern::base
