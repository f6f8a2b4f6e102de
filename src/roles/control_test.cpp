// Tests for the control socket's decision (who may ask, what is understood);
// the socket itself is tested end to end in tests/e2e/test_queue_control.py.
#include <gtest/gtest.h>

#include "roles/control.h"

using tern::roles::control_answer;

TEST(Control, RootAndTheDaemonsOwnUserMayFlush) {
  for (uid_t peer : {0u, 999u}) {
    auto a = control_answer("flush\n", peer, 999);
    EXPECT_TRUE(a.flush) << peer;
    EXPECT_EQ(a.text, "OK flushed\n");
  }
  EXPECT_TRUE(control_answer("flush", 0, 0).flush);  // no newline before EOF
}

TEST(Control, OtherUsersAreRefused) {
  auto a = control_answer("flush\n", 1000, 999);
  EXPECT_FALSE(a.flush);
  EXPECT_EQ(a.text.rfind("ERR perm permission denied", 0), 0u) << a.text;
}

TEST(Control, OnlyKnownWords) {
  const char* cases[] = {"", "\n", "FLUSH\n", "flush\r\n", "flush now\n", "flush\nflush\n", " flush\n", "\0flush\n"};
  for (auto c : cases) {
    auto a = control_answer(c, 0, 999);
    EXPECT_FALSE(a.flush) << c;
    EXPECT_EQ(a.text, "ERR perm unknown request\n") << c;
  }
}

TEST(Control, FlushSiteTakesOnlyADomainName) {
  auto a = control_answer("flush site Example.COM\n", 0, 999);
  EXPECT_FALSE(a.flush);
  EXPECT_EQ(a.site, "example.com");
  EXPECT_EQ(a.text, "OK flushed\n");
  EXPECT_EQ(control_answer("flush site [192.0.2.1]\n", 0, 999).site, "[192.0.2.1]");
  const char* bad[] = {"flush site \n", "flush site ../x\n", "flush site a b\n", "flush site a/b\n",
                       "flush site -x\n", "flush site [a;b]\n", "flush site a\x01\n"};
  for (auto c : bad) {
    auto r = control_answer(c, 0, 999);
    EXPECT_FALSE(r.acts()) << c;
    EXPECT_EQ(r.text.rfind("ERR perm", 0), 0u) << c;
  }
  EXPECT_FALSE(control_answer("flush site example.com\n", 1000, 999).acts());
}

TEST(Control, RequeueTakesAQueueIdOrAll) {
  EXPECT_EQ(control_answer("requeue 0123456789ABCDEF\n", 0, 999).requeue, "0123456789ABCDEF");
  EXPECT_EQ(control_answer("requeue ALL\n", 999, 999).requeue, "ALL");
  for (auto c : {"requeue ../x\n", "requeue ALL/../\n", "requeue all\n", "requeue \n", "requeue 0123456789abcdef\n"})
    EXPECT_FALSE(control_answer(c, 0, 999).acts()) << c;
  EXPECT_FALSE(control_answer("requeue ALL\n", 1000, 999).acts());
}
