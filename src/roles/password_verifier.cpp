// Implementation of the password verifier and its worker pool (see
// password_verifier.h).
#include "roles/password_verifier.h"

#include <sys/random.h>

#include "base/log.h"
#include "sasl/base64.h"

namespace tern::roles {

bool VerifyPool::submit(std::function<void()> job) {
  std::lock_guard lock(mu_);
  if (stopping_ || queue_.size() >= max_queued_) return false;
  if (workers_.empty())
    for (size_t i = 0; i < threads_; ++i) workers_.emplace_back([this] { work(); });
  queue_.push_back(std::move(job));
  cv_.notify_one();
  return true;
}

void VerifyPool::stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
    workers.swap(workers_);
  }
  cv_.notify_all();
  for (auto& t : workers) t.join();
}

void VerifyPool::work() {
  pthread_setname_np(pthread_self(), "tern-auth");
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

const std::string& VerifyPool::dummy_hash() {
  std::call_once(dummy_once_, [this] {
    char random[24];
    if (getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random))
      for (size_t i = 0; i < sizeof random; ++i) random[i] = static_cast<char>(i * 37 + 11);
    auto h = auth::hash_password(sasl::base64_encode(std::string_view(random, sizeof random)));
    if (h) dummy_ = *h;
    else log::error("cannot make the dummy password hash: {}", h.error().detail);
  });
  return dummy_;
}

void PasswordVerifier::verify(sasl::Credentials creds, std::function<void(sasl::VerifyResult)> done) {
  // A recent proof of this very password against this very stored hash
  // answers at once; anything else (including every failure) is hashed.
  if (auto u = users_->find(creds.authcid); u && !u->password.empty() && u->password.front() == '$' &&
                                              pool_->logins().hit(u->address, creds.password, u->password)) {
    creds.wipe();
    done(sasl::VerifyResult{sasl::VerifyResult::Kind::ok, u->address});
    return;
  }
  // std::function needs a copyable callable: the credentials travel in a
  // shared_ptr, wiped by their destructor when the job is gone.
  auto c = std::make_shared<sasl::Credentials>(std::move(creds));
  auto cb = std::make_shared<std::function<void(sasl::VerifyResult)>>(std::move(done));
  auto pool = pool_.get();
  bool queued = pool_->submit([pool, users = users_, c, cb] {
    sasl::VerifyResult r;
    auto u = users->find(c->authcid);
    bool usable = u && !u->password.empty() && u->password.front() == '$';
    const std::string& dummy = pool->dummy_hash();
    bool match = auth::verify_password(c->password, usable ? u->password : dummy);
    if (usable && match) {
      r = {sasl::VerifyResult::Kind::ok, u->address};
      pool->logins().remember(u->address, c->password, u->password);
    } else if (!usable && dummy.empty()) {
      r.kind = sasl::VerifyResult::Kind::temporary;  // timing could not be kept
    }
    c->wipe();
    (*cb)(std::move(r));
  });
  if (!queued) {
    log::warn("too many password checks waiting; the login is answered: try again later (SMTP 454 4.7.0, IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP])");
    (*cb)(sasl::VerifyResult{sasl::VerifyResult::Kind::temporary, {}});
  }
}

}  // namespace tern::roles
