// Tests of the cache of proven logins: what hits, what must miss (a changed
// password, a changed stored hash, age, another user), and the bound.
#include "auth/login_cache.h"

#include <gtest/gtest.h>

namespace tern::auth {
namespace {

using namespace std::chrono_literals;
const LoginCache::Clock::time_point t0{};

TEST(LoginCache, HitsOnlyTheSamePasswordAgainstTheSameStoredHash) {
  LoginCache c;
  c.configure(1 << 20, 3600s);
  EXPECT_FALSE(c.hit("ann", "secret", "$y$h1", t0));
  c.remember("ann", "secret", "$y$h1", t0);
  EXPECT_TRUE(c.hit("ann", "secret", "$y$h1", t0 + 10s));
  EXPECT_FALSE(c.hit("ann", "secreT", "$y$h1", t0 + 10s));
  EXPECT_FALSE(c.hit("ann", std::string_view("secret\0", 7), "$y$h1", t0 + 10s));
  EXPECT_FALSE(c.hit("ann", "", "$y$h1", t0 + 10s));
  // The administrator set a new password: the old one no longer passes.
  EXPECT_FALSE(c.hit("ann", "secret", "$y$h2", t0 + 10s));
  EXPECT_FALSE(c.hit("bob", "secret", "$y$h1", t0 + 10s));
  EXPECT_FALSE(c.hit("Ann", "secret", "$y$h1", t0 + 10s));
}

TEST(LoginCache, EntriesExpire) {
  LoginCache c;
  c.configure(1 << 20, 60s);
  c.remember("ann", "secret", "$y$h1", t0);
  EXPECT_TRUE(c.hit("ann", "secret", "$y$h1", t0 + 59s));
  EXPECT_FALSE(c.hit("ann", "secret", "$y$h1", t0 + 60s));
  c.remember("ann", "secret", "$y$h1", t0 + 60s);  // a fresh check renews it
  EXPECT_TRUE(c.hit("ann", "secret", "$y$h1", t0 + 100s));
}

TEST(LoginCache, ANewPasswordReplacesTheOld) {
  LoginCache c;
  c.configure(1 << 20, 60s);
  c.remember("ann", "old", "$y$h1", t0);
  c.remember("ann", "new", "$y$h2", t0);
  EXPECT_EQ(c.entries(), 1u);
  EXPECT_FALSE(c.hit("ann", "old", "$y$h1", t0));
  EXPECT_TRUE(c.hit("ann", "new", "$y$h2", t0));
}

TEST(LoginCache, OffWhenSizeOrTtlIsZero) {
  LoginCache c;
  c.remember("ann", "secret", "$y$h1", t0);  // never configured: off
  EXPECT_FALSE(c.hit("ann", "secret", "$y$h1", t0));
  c.configure(1 << 20, 0s);
  c.remember("ann", "secret", "$y$h1", t0);
  EXPECT_FALSE(c.hit("ann", "secret", "$y$h1", t0));
  c.configure(1 << 20, 60s);
  c.remember("ann", "secret", "$y$h1", t0);
  EXPECT_TRUE(c.hit("ann", "secret", "$y$h1", t0));
  c.configure(0, 60s);  // turning it off forgets everything
  EXPECT_EQ(c.entries(), 0u);
  c.configure(1 << 20, 60s);
  EXPECT_FALSE(c.hit("ann", "secret", "$y$h1", t0));
}

TEST(LoginCache, BoundedOldestGoFirst) {
  LoginCache c;
  c.configure(4096, 3600s);
  for (int i = 0; i < 1000; ++i) c.remember("user" + std::to_string(i), "pw", "$y$hash", t0);
  EXPECT_GT(c.entries(), 5u);
  EXPECT_LT(c.entries(), 30u);
  EXPECT_TRUE(c.hit("user999", "pw", "$y$hash", t0));
  EXPECT_FALSE(c.hit("user0", "pw", "$y$hash", t0));
  // Shrinking the bound evicts at once.
  c.configure(1, 3600s);
  EXPECT_EQ(c.entries(), 0u);
}

TEST(LoginCache, TwoCachesDoNotShareKeys) {
  // The keyed hash depends on a per-process random key: two caches given the
  // same login agree with themselves only (checked through behaviour: each
  // hits its own entry).
  LoginCache a, b;
  a.configure(1 << 20, 60s);
  b.configure(1 << 20, 60s);
  a.remember("ann", "secret", "$y$h1", t0);
  EXPECT_TRUE(a.hit("ann", "secret", "$y$h1", t0));
  EXPECT_FALSE(b.hit("ann", "secret", "$y$h1", t0));
}

}  // namespace
}  // namespace tern::auth
