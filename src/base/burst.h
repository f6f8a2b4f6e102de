// Burst: a stretch of work on one thread that hands many small jobs to other
// threads at once, during which a handoff that would wake its receiver each
// time is held back and made once, when the burst ends. The change hub
// (store/change_hub.h) tells every watcher of a folder in one burst: with
// tens of thousands of IDLE sessions spread over a hundred event loops, the
// loops are then woken once each with all their sessions' news
// (io/batched_post.h), instead of waking for the first, draining it, and
// sleeping again before the next arrives.
//
// Per thread; a burst begun inside another ends with the outer one.
#pragma once

#include <functional>

namespace tern::base {

class Burst {
 public:
  Burst();
  // Runs what was deferred, in the order first deferred.
  ~Burst();
  Burst(const Burst&) = delete;
  Burst& operator=(const Burst&) = delete;

  // During a burst on this thread: runs `fn` when the burst ends, once per
  // `key` (a later call with the same key is dropped) and returns true.
  // Outside a burst: false, and the caller hands off at once.
  static bool defer(const void* key, std::function<void()> fn);
};

}  // namespace tern::base
