// Implementation of Draft and the Committer (see writer.h).
#include "queue/writer.h"

#include <pthread.h>
#include <unistd.h>

#include <fmt/format.h>

#include <future>

#include "base/fs.h"
#include "base/log.h"
#include "queue/record.h"

namespace tern::queue {

Result<std::unique_ptr<Draft>> Draft::create(const Spool& spool, const Envelope& env,
                                             std::shared_ptr<const rewrite::Canonical> canonical, size_t memory_limit) {
  using C = rewrite::Canonical;
  if (!canonical || !canonical->active(C::envelope_sender | C::envelope_recipient | C::header_sender |
                                       C::header_recipient))
    return create(spool, env, memory_limit);
  Envelope e = env;
  auto s = canonical->rewrite(e.sender, C::envelope_sender);
  if (!s) return s.error();
  e.sender = std::move(*s);
  for (auto& r : e.recipients) {
    auto a = canonical->rewrite(r.address, C::envelope_recipient);
    if (!a) return a.error();
    // A report about it names the address the client gave, as Postfix's
    // orig_rcpt (unless the client's ORCPT already does).
    if (*a != r.address && r.orcpt.empty()) r.orcpt = "rfc822;" + r.address;
    r.address = std::move(*a);
  }
  auto d = create(spool, e, memory_limit);
  if (d && canonical->active(C::header_sender | C::header_recipient))
    (*d)->headers_ = std::make_unique<rewrite::CanonicalHeaders>(std::move(canonical));
  return d;
}

Result<std::unique_ptr<Draft>> Draft::create(const Spool& spool, const Envelope& env, size_t memory_limit) {
  std::unique_ptr<Draft> d(new Draft());
  d->id_ = Spool::new_id();
  d->tmp_path_ = spool.path(Area::tmp, d->id_);
  d->active_path_ = spool.path(Area::active, d->id_);
  d->memory_limit_ = memory_limit;
  std::string& b = d->buf_;
  b.append(kMagic);
  append_record(b, kArrival,
                env.arrival_us > 0 ? fmt::format("{}.{:06d}", env.arrival, env.arrival_us) : std::to_string(env.arrival));
  append_record(b, kClient, env.client);
  append_record(b, kHelo, env.helo);
  append_record(b, kProtocol, env.protocol);
  std::string flags;
  if (env.smtputf8) flags += "smtputf8 ";
  if (env.eightbit) flags += "8bitmime ";
  if (env.ret == DsnRet::full) flags += "ret=full ";
  if (env.ret == DsnRet::hdrs) flags += "ret=hdrs ";
  if (env.origin == Origin::bounce) flags += "bounce ";
  if (env.origin == Origin::double_bounce) flags += "2bounce ";
  append_record(b, kFlags, flags);
  if (!env.envid.empty()) append_record(b, kEnvid, env.envid);
  append_record(b, kSender, env.sender);
  for (auto& r : env.recipients) {
    append_record(b, kRecipient, r.address);
    if (r.notify != 0 || !r.orcpt.empty()) append_record(b, kRecipientDsn, recipient_dsn_payload(r.notify, r.orcpt));
  }
  d->content_header_offset_ = b.size();
  b += record_header(kContent, 0);
  if (memory_limit == 0) {
    auto st = d->spill();
    if (!st) return st.error();
  }
  return d;
}

Draft::~Draft() {
  if (!committed_) abort();
}

Status Draft::spill() {
  if (fd_.valid()) return ok_status();
  for (int attempt = 0;; ++attempt) {
    auto fd = fs::create_exclusive(tmp_path_, 0600);
    if (fd) {
      fd_ = std::move(*fd);
      break;
    }
    if (attempt > 5) return fd.error();
    // An ID collision with another process: take a new one.
    auto slash = tmp_path_.rfind('/');
    std::string fresh = Spool::new_id();
    tmp_path_ = tmp_path_.substr(0, slash + 1) + fresh;
    active_path_ = active_path_.substr(0, active_path_.rfind('/') + 1) + fresh;
    id_ = fresh;
  }
  return flush();
}

Status Draft::flush() {
  if (buf_.empty() || !fd_.valid()) return ok_status();
  auto st = fs::write_all(fd_.get(), buf_, tmp_path_);
  buf_.clear();
  return st;
}

Status Draft::append(std::string_view content) {
  if (!headers_) return write_content(content);
  std::string out;
  if (auto st = headers_->feed(content, out); !st) return st;
  return write_content(out);
}

Status Draft::write_content(std::string_view content) {
  content_size_ += content.size();
  if (content_size_ > 0xffffffffull) return Error::perm("message larger than 4 GiB");
  buf_.append(content.data(), content.size());
  if (!fd_.valid()) {
    if (buf_.size() <= memory_limit_) return ok_status();
    return spill();
  }
  if (buf_.size() >= 65536) return flush();
  return ok_status();
}

Status Draft::finish() {
  if (headers_) {
    std::string out;
    if (auto st = headers_->finish(out); !st) return st;
    if (auto st = write_content(out); !st) return st;
    headers_.reset();
  }
  buf_ += record_header(kEnd, 0);
  std::string h = record_header(kContent, static_cast<uint32_t>(content_size_));
  finished_ = true;
  if (!fd_.valid()) {
    buf_.replace(content_header_offset_, h.size(), h);
    return ok_status();
  }
  auto st = flush();
  if (!st) return st;
  if (::pwrite(fd_.get(), h.data(), h.size(), static_cast<off_t>(content_header_offset_)) !=
      static_cast<ssize_t>(h.size()))
    return fs::errno_error("write", tmp_path_, errno);
  return ok_status();
}

void Draft::mark_done(uint64_t record_offset) {
  if (!fd_.valid() && record_offset < buf_.size() && buf_[record_offset] == kRecipient) buf_[record_offset] = kDone;
}

void Draft::apply(const CrossOffs& done) {
  if (fd_.valid()) return;
  for (auto off : done.recipients) mark_done(off);
  for (auto& [off, key] : done.targets) append_record(buf_, kTargetDone, target_done_payload(off, key));
}

void Draft::abort() {
  if (fd_.valid() && !tmp_path_.empty()) ::unlink(tmp_path_.c_str());
  fd_.reset();
  tmp_path_.clear();
}

Committer::Committer(const Spool& spool, int threads) : spool_(spool) {
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this] {
      ::pthread_setname_np(::pthread_self(), "tern-commit");  // as top -H and perf show it
      run();
    });
}

Committer::~Committer() { stop(); }

void Committer::stop() {
  std::deque<Item> refused;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    refused.swap(pending_);
  }
  cv_.notify_all();
  for (auto& it : refused) {
    it.draft->abort();
    it.done(Error::temp("shutting down"));
  }
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void Committer::commit(std::unique_ptr<Draft> draft, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      pending_.push_back({std::move(draft), std::move(done)});
      draft = nullptr;
    }
  }
  if (draft) {  // after stop(): refused like the ones it found waiting
    draft->abort();
    done(Error::temp("shutting down"));
    return;
  }
  cv_.notify_one();
}

Status Committer::commit_sync(std::unique_ptr<Draft> draft) {
  std::promise<Status> p;
  auto f = p.get_future();
  commit(std::move(draft), [&p](Status st) { p.set_value(std::move(st)); });
  return f.get();
}

Status Committer::commit_here(std::unique_ptr<Draft> draft) {
  Status st = draft->finished_ ? make_durable(*draft) : Status(Error::perm("draft not finished"));
  if (!st) {
    log::error("{}: queue commit failed: {}", draft->id_, st.error().detail);
    draft->abort();
    return st;
  }
  draft->committed_ = true;
  draft->fd_.reset();
  if (sink_) sink_->on_new_message(draft->id_);
  return st;
}

Status Committer::make_durable(Draft& d) {
  Status st = d.spill();
  if (st) st = d.flush();
  if (st) st = fs::fsync_fd(d.fd_.get(), d.tmp_path_);
  if (!st) return st;
  // The ticket predates the rename: a failed fsync of active/ from here on
  // makes this entry not durable (base/dir_sync.h).
  auto ticket = dir_sync_.enter(spool_.area_dir(Area::active));
  st = fs::rename_noreplace(d.tmp_path_, d.active_path_);
  if (!st) return st;
  d.tmp_path_.clear();  // now owned by active/
  st = dir_sync_.sync(ticket);
  if (!st) ::unlink(d.active_path_.c_str());  // never trust a retried fsync
  return st;
}

void Committer::run() {
  for (;;) {
    Item it;
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, nothing left
      it = std::move(pending_.front());
      pending_.pop_front();
      stopping = stopping_;
    }
    Draft& d = *it.draft;
    bool all_delivered = false;
    if (immediate_ && !stopping && d.finished_ && d.in_memory()) {
      CrossOffs done = immediate_->deliver_now(d);
      d.apply(done);
      all_delivered = done.all_done;
    }
    Status st = all_delivered ? ok_status() : make_durable(d);
    if (st) {
      d.committed_ = true;
      d.fd_.reset();
    } else {
      log::error("{}: queue commit failed: {}", d.id_, st.error().detail);
      d.abort();
    }
    std::string id = d.id_;
    bool queued = st.ok() && !all_delivered;
    it.done(std::move(st));
    if (queued && sink_) sink_->on_new_message(id);
  }
}

}  // namespace tern::queue
