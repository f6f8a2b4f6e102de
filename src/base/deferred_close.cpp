// The closing thread of close_later() (see deferred_close.h).
#include "base/deferred_close.h"

#include <pthread.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

namespace tern::fs {
namespace {

struct Closer;
Closer& closer();

struct Closer {
  std::mutex mu;
  std::condition_variable wake, idle;
  std::deque<int> pending;
  bool closing = false;  // the thread holds one taken off `pending`
  pid_t started_in = 0;  // the process whose thread this is (0: none)

  void run() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      wake.wait(lock, [&] { return !pending.empty(); });
      int fd = pending.front();
      pending.pop_front();
      closing = true;
      lock.unlock();
      ::close(fd);
      lock.lock();
      closing = false;
      if (pending.empty()) idle.notify_all();
    }
  }
};

// Never destroyed: the thread runs until the process ends. A fork waits
// for the queue's lock, so that the child's copy of it is never held by a
// thread the child does not have; the child closes its copies of what was
// queued (the parent's thread closes the originals), so that it does not
// keep those files' blocks for its whole life.
void forked_child() {
  Closer& c = closer();
  for (int fd : c.pending) ::close(fd);
  c.pending.clear();
  c.closing = false;
  c.mu.unlock();
}

Closer& closer() {
  static Closer* c = [] {
    auto* made = new Closer();
    ::pthread_atfork([] { closer().mu.lock(); }, [] { closer().mu.unlock(); }, forked_child);
    return made;
  }();
  return *c;
}

}  // namespace

void close_later(UniqueFd fd) {
  if (!fd.valid()) return;
  Closer& c = closer();
  std::unique_lock<std::mutex> lock(c.mu);
  const pid_t me = ::getpid();
  if (c.started_in != me) {  // none yet, or the parent's (a fork copies no thread): a new one
    try {
      std::thread([&c] { c.run(); }).detach();
    } catch (const std::system_error&) {
      return;  // fd closes here
    }
    c.started_in = me;
  }
  if (c.pending.size() >= kMaxPendingCloses) return;  // behind: fd closes here
  c.pending.push_back(fd.release());
  c.wake.notify_one();
}

void drain_closes() {
  Closer& c = closer();
  std::unique_lock<std::mutex> lock(c.mu);
  if (c.started_in != ::getpid()) return;
  c.idle.wait(lock, [&] { return c.pending.empty() && !c.closing; });
}

}  // namespace tern::fs
