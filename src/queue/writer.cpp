// Implementation of Draft and the group-commit Committer (see writer.h).
#include "queue/writer.h"

#include <unistd.h>

#include <fmt/format.h>

#include <future>

#include "base/fs.h"
#include "base/log.h"
#include "queue/record.h"

namespace tern::queue {

Result<std::unique_ptr<Draft>> Draft::create(const Spool& spool, const Envelope& env) {
  std::unique_ptr<Draft> d(new Draft());
  for (int attempt = 0;; ++attempt) {
    d->id_ = Spool::new_id();
    d->tmp_path_ = spool.path(Area::tmp, d->id_);
    d->active_path_ = spool.path(Area::active, d->id_);
    auto fd = fs::create_exclusive(d->tmp_path_, 0600);
    if (fd) {
      d->fd_ = std::move(*fd);
      break;
    }
    if (attempt > 5) return fd.error();
  }
  std::string& b = d->buf_;
  b.append(kMagic);
  append_record(b, kArrival, std::to_string(env.arrival));
  append_record(b, kClient, env.client);
  append_record(b, kHelo, env.helo);
  append_record(b, kProtocol, env.protocol);
  std::string flags;
  if (env.smtputf8) flags += "smtputf8 ";
  if (env.eightbit) flags += "8bitmime ";
  append_record(b, kFlags, flags);
  append_record(b, kSender, env.sender);
  for (auto& r : env.recipients) append_record(b, kRecipient, r.address);
  d->content_header_offset_ = b.size();
  b += record_header(kContent, 0);
  return d;
}

Draft::~Draft() {
  if (!committed_) abort();
}

Status Draft::flush() {
  if (buf_.empty()) return ok_status();
  auto st = fs::write_all(fd_.get(), buf_, tmp_path_);
  buf_.clear();
  return st;
}

Status Draft::append(std::string_view content) {
  content_size_ += content.size();
  if (content_size_ > 0xffffffffull) return Error::perm("message larger than 4 GiB");
  buf_.append(content.data(), content.size());
  if (buf_.size() >= 65536) return flush();
  return ok_status();
}

Status Draft::finish() {
  buf_ += record_header(kEnd, 0);
  auto st = flush();
  if (!st) return st;
  std::string h = record_header(kContent, static_cast<uint32_t>(content_size_));
  if (::pwrite(fd_.get(), h.data(), h.size(), static_cast<off_t>(content_header_offset_)) !=
      static_cast<ssize_t>(h.size()))
    return fs::errno_error("write", tmp_path_, errno);
  return ok_status();
}

void Draft::abort() {
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
  fd_.reset();
  tmp_path_.clear();
}

Committer::Committer(const Spool& spool, int threads) : spool_(spool) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

Committer::~Committer() { stop(); }

void Committer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void Committer::commit(std::unique_ptr<Draft> draft, Done done) {
  {
    std::lock_guard lock(mu_);
    pending_.push_back({std::move(draft), std::move(done)});
  }
  cv_.notify_one();
}

Status Committer::commit_sync(std::unique_ptr<Draft> draft) {
  std::promise<Status> p;
  auto f = p.get_future();
  commit(std::move(draft), [&p](Status st) { p.set_value(std::move(st)); });
  return f.get();
}

void Committer::run() {
  for (;;) {
    std::vector<Item> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, nothing left
      batch.swap(pending_);
    }
    std::vector<Status> results;
    results.reserve(batch.size());
    bool any_renamed = false;
    for (auto& it : batch) {
      Draft& d = *it.draft;
      Status st = fs::fsync_fd(d.fd_.get(), d.tmp_path_);
      if (st) st = fs::rename_noreplace(d.tmp_path_, d.active_path_);
      if (st) {
        any_renamed = true;
        d.tmp_path_.clear();  // now owned by active/
      }
      results.push_back(std::move(st));
    }
    Status dir_st = any_renamed ? fs::fsync_dir(spool_.area_dir(Area::active)) : ok_status();
    for (size_t i = 0; i < batch.size(); ++i) {
      Draft& d = *batch[i].draft;
      Status st = results[i];
      if (st && !dir_st) {
        st = dir_st;
        ::unlink(d.active_path_.c_str());  // never trust a retried fsync
      }
      if (st) {
        d.committed_ = true;
        d.fd_.reset();
      } else {
        log::error("{}: queue commit failed: {}", d.id_, st.error().detail);
        d.abort();
      }
      std::string id = d.id_;
      bool ok = st.ok();
      batch[i].done(std::move(st));
      if (ok && sink_) sink_->on_new_message(id);
    }
  }
}

}  // namespace tern::queue
