// A password checker for tests and session fuzz targets (SMTP AUTH, POP3):
// alice@virt.test with "secret" and bob@virt.test with "hunter2" exist;
// tempfail@virt.test gets a temporary failure; anything else fails. It
// answers at once, on the caller's thread (the real one answers from a
// worker thread; sessions post the result back either way). Header-only,
// so production code carries none of it.
#pragma once

#include "sasl/verifier.h"

namespace tern::sasl::testing {

class FakeVerifier final : public Verifier {
 public:
  void verify(Credentials c, std::function<void(VerifyResult)> done) override {
    ++calls;
    VerifyResult r;
    if (c.authcid == "tempfail@virt.test") r.kind = VerifyResult::Kind::temporary;
    else if ((c.authcid == "alice@virt.test" && c.password == "secret") ||
             (c.authcid == "bob@virt.test" && c.password == "hunter2"))
      r = {VerifyResult::Kind::ok, c.authcid};
    done(std::move(r));
  }
  int calls = 0;
};

}  // namespace tern::sasl::testing
