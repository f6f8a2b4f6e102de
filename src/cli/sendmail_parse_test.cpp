// Tests for the pure parts of sendmail(1): argv, stdin, the -t splice.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/sendmail_parse.h"

using namespace tern::cli;

TEST(SendmailArgs, DoubleDashMakesAddresses) {
  SendmailOptions o;
  std::string err;
  ASSERT_EQ(parse_sendmail_args({"-t", "-f", "me@x", "--", "-oQx@y", "-bs"}, o, err), 0);
  EXPECT_TRUE(o.extract);
  EXPECT_EQ(o.sender, "me@x");
  EXPECT_EQ(o.mode, "m");
  EXPECT_EQ(o.recipients, (std::vector<std::string>{"-oQx@y", "-bs"}));
}

TEST(SendmailArgs, Refusals) {
  struct Case {
    std::vector<std::string> args;
    const char* error;
  } cases[] = {{{"-f"}, "option -f requires a value"}, {{"-Z"}, "unknown option -Z"}};
  for (auto& c : cases) {
    SendmailOptions o;
    std::string err;
    EXPECT_EQ(parse_sendmail_args(c.args, o, err), 64);
    EXPECT_EQ(err, c.error);
  }
}

TEST(SendmailStdin, DotEndsUnlessIgnored) {
  bool big = false;
  std::istringstream a("x\r\n.\r\ny\n");
  EXPECT_EQ(read_sendmail_message(a, false, 100, big), "x\n");
  std::istringstream b("x\n.\ny");
  EXPECT_EQ(read_sendmail_message(b, true, 100, big), "x\n.\ny\n");
  std::istringstream c("0123456789\n0123456789\n");
  read_sendmail_message(c, false, 12, big);
  EXPECT_TRUE(big);
}

TEST(SendmailSplice, BccRemovedRecipientsQualified) {
  auto s = splice_headers("To: a@b,\n c\nBcc: secret@e\nSubject: x\n\nBcc: body@x\n", true, "origin.test");
  EXPECT_EQ(s.content, "To: a@b,\n c\nSubject: x\n\nBcc: body@x\n");
  EXPECT_EQ(s.recipients, (std::vector<std::string>{"a@b", "c@origin.test", "secret@e"}));
  EXPECT_FALSE(s.has_from);
  EXPECT_TRUE(splice_headers("just a body\n", false, "o").body_only);
}

TEST(SendmailArgs, QueueRunsAndExim) {
  for (auto q : {"-q", "-qf", "-qff", "-q30m"}) {
    SendmailOptions o;
    std::string err;
    ASSERT_EQ(parse_sendmail_args({q}, o, err), 0) << q;
    EXPECT_EQ(o.mode, "q") << q;
    EXPECT_EQ(o.site, "") << q;
  }
  SendmailOptions o;
  std::string err;
  ASSERT_EQ(parse_sendmail_args({"-qRexample.com"}, o, err), 0);
  EXPECT_EQ(o.site, "example.com");
  SendmailOptions m;
  ASSERT_EQ(parse_sendmail_args({"-Mrm", "0123456789ABCDEF", "-x"}, m, err), 0);
  EXPECT_EQ(m.mode, "Mrm");
  EXPECT_EQ(m.recipients, (std::vector<std::string>{"0123456789ABCDEF", "-x"}));
  SendmailOptions bad;
  EXPECT_EQ(parse_sendmail_args({"-qR"}, bad, err), 64);
}
