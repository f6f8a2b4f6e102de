// Verifier: what a server (SMTP AUTH today, IMAP and POP3 later) asks to
// check a user name and password, as an interface, so that the protocol
// modules need not link the user database. roles/ builds the real one
// (roles/password_verifier.h: the passwd-file database, hashing on worker
// threads); tests and the session fuzz target use fakes.
//
// Contract: verify() returns at once and never blocks the caller's thread
// (password hashing is slow on purpose); `done` runs exactly once, on any
// thread. Unknown user and wrong password give the same outcome, in the
// same time.
#pragma once

#include <functional>
#include <string>

#include "sasl/mechanism.h"

namespace tern::sasl {

struct VerifyResult {
  enum class Kind {
    ok,         // `user` is the account as the database spells it
    failed,     // unknown user or wrong password (never told apart)
    temporary,  // the database or the workers are unavailable: try later
  };
  Kind kind = Kind::failed;
  std::string user;
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual void verify(Credentials creds, std::function<void(VerifyResult)> done) = 0;
};

}  // namespace tern::sasl
