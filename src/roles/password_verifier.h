// PasswordVerifier: the real sasl::Verifier. It checks SMTP AUTH
// credentials against the passwd-file user database (auth::UserDb) on a
// small pool of worker threads (VerifyPool), because yescrypt is slow on
// purpose (tens of milliseconds of CPU per check) and the event loop thread
// serves every session.
//
// SECURITY: an unknown user, a user without a password and a locked user
// are checked against a dummy yescrypt hash, so every failure costs the same
// hashing time as a wrong password: the timing tells no one which accounts
// exist. The pool's queue is bounded (a flood of AUTH commands gets 454
// "try later", not unbounded memory); the password is wiped after its check.
//
// A password proven recently is recognised without hashing (auth::LoginCache,
// auth_cache_size and auth_cache_ttl): a burst of logins by the same users
// then costs a keyed SHA-256 each instead of queueing behind the workers.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/login_cache.h"
#include "auth/user_db.h"
#include "sasl/verifier.h"

namespace tern::roles {

// Worker threads for password checks. Threads start at the first submit(),
// so the pool can be made before the daemon forks or drops privileges.
class VerifyPool {
 public:
  VerifyPool(size_t threads, size_t max_queued) : threads_(threads), max_queued_(max_queued) {}
  ~VerifyPool() { stop(); }
  // False (the job is dropped) when the queue is full or the pool stopped.
  bool submit(std::function<void()> job);
  // Finishes the jobs running, drops the queued ones, joins the threads.
  void stop();
  // A yescrypt hash of a random password, made once (on a worker thread).
  const std::string& dummy_hash();
  // Logins proven recently, kept across reloads like the pool itself.
  auth::LoginCache& logins() { return logins_; }

 private:
  void work();
  size_t threads_, max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
  std::once_flag dummy_once_;
  std::string dummy_;
  auth::LoginCache logins_;
};

class PasswordVerifier final : public sasl::Verifier {
 public:
  PasswordVerifier(std::shared_ptr<VerifyPool> pool, std::shared_ptr<const auth::UserDb> users)
      : pool_(std::move(pool)), users_(std::move(users)) {}
  void verify(sasl::Credentials creds, std::function<void(sasl::VerifyResult)> done) override;

 private:
  std::shared_ptr<VerifyPool> pool_;
  std::shared_ptr<const auth::UserDb> users_;
};

}  // namespace tern::roles
