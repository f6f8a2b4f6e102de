// The only way into the queue, for SMTP sessions and sendmail(1) alike.
//
// A Draft is one message being received: its envelope records are written
// at create(), its content comes in with append(), and finish() writes the
// end marker. A draft starts in memory; past memory_limit bytes it spills
// to tmp/ID and streams from then on, so memory stays bounded however large
// the message. Nothing about a draft is visible to delivery.
//
// The Committer makes drafts durable, on a pool of threads:
//  1. Delivery at acceptance: an ImmediateDelivery hook
//     (scheduler/acceptance.h) is given the finished in-memory draft and may
//     deliver recipients right away, into Maildirs it can reach without
//     another identity. Each delivery is fsynced (file and directory) before
//     it counts; the hook hands back what it delivered (CrossOffs) and the
//     Committer crosses it off in the draft. If every recipient is done, the
//     message never needs a queue file at all.
//  2. Otherwise the draft (with its cross-offs) is written to tmp/ID if it
//     was in memory, fsynced, renamed into active/ (never replacing), and
//     active/ is fsynced; concurrent commits share that directory fsync
//     (group commit, base/dir_sync.h).
// Only then is success reported, and the caller answers 250. An fsync
// error is final for that message: the file is deleted and the caller
// answers 451 4.3.0 (RELIABILITY.md #1, #32).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/dir_sync.h"
#include "base/fd.h"
#include "base/result.h"
#include "queue/envelope.h"
#include "queue/spool.h"
#include "rewrite/canonical.h"
#include "rewrite/canonical_headers.h"

namespace tern::queue {

class Draft {
 public:
  static constexpr size_t kDefaultMemoryLimit = 1u << 20;
  // Writes the envelope (everything but content) to memory.
  static Result<std::unique_ptr<Draft>> create(const Spool& spool, const Envelope& env,
                                               size_t memory_limit = kDefaultMemoryLimit);
  // The same with Postfix's cleanup-time address rewriting (canonical maps,
  // masquerading; rewrite/canonical.h): the envelope sender and recipients
  // are rewritten here, the address headers as the content is appended.
  // Null: no rewriting. A table that cannot answer: a temporary error.
  static Result<std::unique_ptr<Draft>> create(const Spool& spool, const Envelope& env,
                                               std::shared_ptr<const rewrite::Canonical> canonical,
                                               size_t memory_limit = kDefaultMemoryLimit);

  ~Draft();

  const std::string& id() const { return id_; }
  Status append(std::string_view content);
  // Patches the content length and writes the end marker.
  Status finish();
  // Deletes the tmp file, if any (also done by the destructor unless committed).
  void abort();
  uint64_t content_size() const { return content_size_; }

  // For delivery at acceptance: the whole finished queue-file image, when
  // the draft is still in memory (empty otherwise), and the cross-off of a
  // recipient by its record offset in that image.
  bool in_memory() const { return !fd_.valid(); }
  std::string_view image() const { return in_memory() ? std::string_view(buf_) : std::string_view(); }
  void mark_done(uint64_t record_offset);
  // Applies a delivery pass to an in-memory draft: flips the recipients
  // and appends the 'X' records of delivered targets (this may move the
  // buffer, so image() views taken before are invalid afterwards).
  void apply(const CrossOffs& done);

 private:
  friend class Committer;
  Draft() = default;
  Status spill();  // memory -> tmp/ID
  Status flush();
  Status write_content(std::string_view content);
  std::unique_ptr<rewrite::CanonicalHeaders> headers_;  // null: content goes in as it comes
  std::string id_, tmp_path_, active_path_;
  UniqueFd fd_;
  size_t memory_limit_ = kDefaultMemoryLimit;
  uint64_t content_header_offset_ = 0;
  uint64_t content_size_ = 0;
  std::string buf_;  // the whole image while in memory; pending writes after a spill
  bool finished_ = false;
  bool committed_ = false;
};

// Told about each newly committed message (implemented by the scheduler).
class NewMessageSink {
 public:
  virtual ~NewMessageSink() = default;
  virtual void on_new_message(const std::string& id) = 0;
};

// Delivers what it can of a finished in-memory draft before it is committed
// (scheduler::AcceptanceDelivery) and says what it delivered; it does not
// change the draft.
class ImmediateDelivery {
 public:
  virtual ~ImmediateDelivery() = default;
  virtual CrossOffs deliver_now(const Draft& draft) = 0;
};

class Committer {
 public:
  using Done = std::function<void(Status)>;
  Committer(const Spool& spool, int threads);
  ~Committer();
  void set_sink(NewMessageSink* sink) { sink_ = sink; }
  void set_immediate(ImmediateDelivery* d) { immediate_ = d; }
  // Takes ownership of a finished draft; `done` runs on a committer thread.
  void commit(std::unique_ptr<Draft> draft, Done done);
  // Synchronous form for command-line tools.
  Status commit_sync(std::unique_ptr<Draft> draft);
  // Makes a finished draft durable on the calling thread, without delivery
  // at acceptance, and tells the sink: for messages tern makes itself
  // (bounces, scheduler/bouncer.h), also from a committer thread, which
  // must not wait for another.
  Status commit_here(std::unique_ptr<Draft> draft);
  // Finishes the commits in progress and refuses the ones still waiting
  // (their drafts are removed and `done` gets a temporary error: no 250 was
  // sent for them). At shutdown, commits skip the delivery at acceptance.
  void stop();

 private:
  struct Item {
    std::unique_ptr<Draft> draft;
    Done done;
  };
  void run();
  Status make_durable(Draft& d);
  const Spool& spool_;
  NewMessageSink* sink_ = nullptr;
  ImmediateDelivery* immediate_ = nullptr;
  DirSyncGroup dir_sync_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> pending_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tern::queue
