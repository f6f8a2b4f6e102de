// The only way into the queue, for SMTP sessions and sendmail(1) alike.
//
// A Draft is one message being received: its envelope records are written
// at create(), its content streams in with append() (so memory stays
// bounded however large the message), and finish() writes the end marker.
// Nothing about a draft is visible to delivery: it lives in tmp/.
//
// The Committer makes drafts durable with group commit: committer threads
// take every draft waiting at that moment, fsync each file, rename each
// into active/ (refusing to replace), fsync active/ once for the whole
// batch, and only then report success. Concurrent sessions thus share the
// directory fsync, and the file fsyncs run in parallel on several threads.
// An fsync error is final for that message: the file is deleted and the
// caller answers 451 4.3.0 (RELIABILITY.md #1, #32).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "queue/envelope.h"
#include "queue/spool.h"

namespace tern::queue {

class Draft {
 public:
  // Creates tmp/ID and writes the envelope (everything but content).
  static Result<std::unique_ptr<Draft>> create(const Spool& spool, const Envelope& env);
  ~Draft();

  const std::string& id() const { return id_; }
  Status append(std::string_view content);
  // Patches the content length and writes the end marker.
  Status finish();
  // Deletes the tmp file (also done by the destructor unless committed).
  void abort();
  uint64_t content_size() const { return content_size_; }

 private:
  friend class Committer;
  Draft() = default;
  std::string id_, tmp_path_, active_path_;
  UniqueFd fd_;
  uint64_t content_header_offset_ = 0;
  uint64_t content_size_ = 0;
  std::string buf_;  // small writes are coalesced
  bool committed_ = false;
  Status flush();
};

// Told about each newly committed message (implemented by the scheduler).
class NewMessageSink {
 public:
  virtual ~NewMessageSink() = default;
  virtual void on_new_message(const std::string& id) = 0;
};

class Committer {
 public:
  using Done = std::function<void(Status)>;
  Committer(const Spool& spool, int threads);
  ~Committer();
  void set_sink(NewMessageSink* sink) { sink_ = sink; }
  // Takes ownership of a finished draft; `done` runs on a committer thread.
  void commit(std::unique_ptr<Draft> draft, Done done);
  // Synchronous form for command-line tools.
  Status commit_sync(std::unique_ptr<Draft> draft);
  void stop();

 private:
  struct Item {
    std::unique_ptr<Draft> draft;
    Done done;
  };
  void run();
  const Spool& spool_;
  NewMessageSink* sink_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Item> pending_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tern::queue
