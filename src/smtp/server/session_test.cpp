// Session tests over an in-memory stream (session_harness.h): the replies
// of whole conversations, in order, with no socket and no disk. The
// end-to-end tests (tests/e2e/test_smtp_*.py) cover the same cases against
// the real binary; these pin the session's own rules quickly.
#include <gtest/gtest.h>

#include "smtp/server/session_harness.h"

namespace tern::smtp {
namespace {


struct Conversation {
  std::vector<std::string> replies;
  harness::FakeHost host;
  io::MemoryStream::Transcript t;
  explicit Conversation(std::deque<std::string> chunks, std::string_view extra = {}) : host(harness::make_services(extra)) {
    if (!host.services()) throw std::runtime_error("harness configuration refused");
    t = harness::run(host, std::move(chunks));
    replies = harness::reply_codes(t.written);
  }
};

using V = std::vector<std::string>;

TEST(Session, PipelinedGroupGetsOneReplyPerCommandInOrder) {
  Conversation r({"", "EHLO x\r\n", "",
         "MAIL FROM:<a@b.example>\r\nRCPT TO:<alice@virt.test>\r\nRCPT TO:<nobody@virt.test>\r\n"
         "RCPT TO:<bob@virt.test>\r\nDATA\r\n",
         "", "Subject: p\r\n\r\nx\r\n.\r\n", "", "QUIT\r\nNOOP\r\n"});
  EXPECT_EQ(r.replies, (V{"220", "250", "250 2.1.0", "250 2.1.5", "550 5.1.1", "250 2.1.5", "354", "250 2.0.0",
                          "221 2.0.0"}));
  EXPECT_EQ(r.host.ids.size(), 1u);
  EXPECT_TRUE(r.t.closed);
  EXPECT_EQ(r.t.written_after_close, 0u);
}

TEST(Session, EarlyTalkerGetsOnly554) {
  Conversation r({"EHLO x\r\nMAIL FROM:<a@b.example>\r\n"});
  EXPECT_EQ(r.replies, (V{"554 5.5.0"}));
}

TEST(Session, ContentBefore354IsASynchronizationError) {
  Conversation r({"", "EHLO x\r\n", "", "MAIL FROM:<a@b.example>\r\nRCPT TO:<alice@virt.test>\r\nDATA\r\nbody\r\n.\r\n"});
  EXPECT_EQ(r.replies, (V{"220", "250", "250 2.1.0", "250 2.1.5", "554 5.5.0"}));
  EXPECT_TRUE(r.host.ids.empty());
}

TEST(Session, HeloRequired) {
  Conversation r({"", "MAIL FROM:<a@b.example>\r\n", "", "HELO x\r\n", "", "MAIL FROM:<a@b.example>\r\n"},
        "smtpd_helo_required = yes\n");
  ASSERT_EQ(r.replies.size(), 4u);
  EXPECT_EQ(r.replies[1], "503 5.5.1");
  EXPECT_NE(r.t.written.find("Error: send HELO/EHLO first"), std::string::npos);
  EXPECT_EQ(r.replies[3], "250 2.1.0");
}

TEST(Session, BdatWithoutRecipientConsumesItsChunk) {
  Conversation r({"", "EHLO x\r\n", "", "MAIL FROM:<a@b.example>\r\n", "", "BDAT 10\r\nNOOP\r\nNOOP", "", "NOOP\r\n"});
  EXPECT_EQ(r.replies, (V{"220", "250", "250 2.1.0", "554 5.5.1", "250 2.0.0"}));
}

TEST(Session, MalformedBdatResetsAChunkedTransaction) {
  Conversation r({"", "EHLO x\r\n", "", "MAIL FROM:<a@b.example>\r\n", "", "RCPT TO:<alice@virt.test>\r\n", "",
         "BDAT 4\r\nabcd", "", "BDAT -5\r\n", "", "MAIL FROM:<a@b.example>\r\n", "", "RCPT TO:<alice@virt.test>\r\n",
         "", "BDAT 5 LAST\r\nhello"});
  EXPECT_EQ(r.replies, (V{"220", "250", "250 2.1.0", "250 2.1.5", "250 2.0.0", "501 5.5.4", "250 2.1.0",
                          "250 2.1.5", "250 2.0.0"}));
  ASSERT_EQ(r.host.ids.size(), 1u);
  EXPECT_EQ(r.host.content_sizes[0] > 0, true);
}

TEST(Session, RunawayLineIsCutOff) {
  Conversation r({"", "EHLO x\r\n", "", std::string(300 * 1024, 'x'), "", "NOOP\r\n"});
  EXPECT_EQ(r.replies, (V{"220", "250", "500 5.5.2", "421 4.7.0"}));
  EXPECT_TRUE(r.t.closed);
}

TEST(Session, LongLineThenCrlfStaysInSync) {
  Conversation r({"", "EHLO x\r\n", "", std::string(100 * 1024, 'x') + "\r\n", "", "NOOP\r\n"});
  EXPECT_EQ(r.replies, (V{"220", "250", "500 5.5.2", "250 2.0.0"}));
}

TEST(Session, HardErrorLimitHangsUp) {
  std::deque<std::string> in{"", "EHLO x\r\n"};
  for (int i = 0; i < 15; ++i) in.insert(in.end(), {"", "BOGUS\r\n"});
  Conversation r(in);
  ASSERT_EQ(r.replies.size(), 2u + 12u + 1u);  // hard limit 12 in the harness
  EXPECT_EQ(r.replies.back(), "421 4.7.0");
}

TEST(Session, JunkCommandsCountAsErrorsPastTheirLimit) {
  std::deque<std::string> in{"", "EHLO x\r\n"};
  for (int i = 0; i < 40; ++i) in.insert(in.end(), {"", "NOOP\r\n"});
  Conversation r(in);
  // 20 free NOOPs, then 12 that count as errors, then 421.
  EXPECT_EQ(r.replies.size(), 2u + 32u + 1u);
  EXPECT_EQ(r.replies.back(), "421 4.7.0");
}

TEST(Session, ControlBytesInArgumentsAreRefused) {
  Conversation r({"", "EHLO a\x1b[31mb\r\n", "", "HELO ok.example\r\n", "", "MAIL FROM:<a@b.example> ENVID=x\x01y\r\n"});
  EXPECT_EQ(r.replies, (V{"220", "501 5.5.2", "250", "501 5.5.2"}));
}

TEST(Session, RepliesAreSentBeforeWaitingForTheRestOfALine) {
  // Found by session_fuzz: replies to complete commands stayed queued while
  // a partial line was pending, so a client waiting for them deadlocked.
  Conversation r({"", "EHLO x\r\n", "", "NOOP\r\nNOOP\r\nNO"});
  EXPECT_EQ(r.replies, (V{"220", "250", "250 2.0.0", "250 2.0.0"}));
}

}  // namespace
}  // namespace tern::smtp
